#pragma once
// What RedisPresenceRegistry keeps in Redis, and how it changes it: the Lua
// scripts (each runs atomically, so exactly one node decides each
// transition), the notice published on a user's change channel, and the
// parsing of the scripts' replies. Pure functions, no I/O; any thread.
//
// Keys (every name after the configured prefix; user ids are bytes):
//   pd            sorted set: user -> deadline (latest live heartbeat + timeout),
//                 the users online in the whole cluster
//   ph:<user>     hash: d:<device> -> latest heartbeat, x:<device> -> logout
//                 time (a tombstone: late heartbeats of that device are ignored),
//                 la -> last_active_at, v -> version of the latest transition;
//                 expires `state_ttl` after the last write
//   p:<user>      channel: a notice per transition of the user
// Times are the nodes' clocks in ms since the epoch; versions grow per user
// (max(previous + 1, now), so they keep growing after Redis lost the key).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ports.h"
#include "redis/redis_reply.h"

namespace parley::presence {

// Heartbeats and logouts of one user's devices on this node since the last
// flush. ARGV of one user: user, #gone, gone..., #quiet, (device, since)...,
// #beats, (device, stamp)...
struct UserFlush {
  UserId user;
  std::vector<DeviceId> gone;
  std::vector<std::pair<DeviceId, TimeMs>> beats;
  // Devices whose connections closed cleanly at `since` and did not come
  // back within the grace: dropped unless they heartbeated after it.
  std::vector<std::pair<DeviceId, TimeMs>> quiet;
};

// KEYS: pd, ph:<user>...; ARGV: now, timeout, ttl, channel prefix, origin,
// then each UserFlush. Drops the quiet devices that did not heartbeat after
// their `since` (no tombstone), stores the beats (never moving a device's time back,
// never for a tombstoned device), drops quiet devices, and decides: a live
// device makes the user online; none makes it offline if it was online (the
// last device logged out) or if only late heartbeats came (Redis was out of
// reach meanwhile: the user may have been announced online). Returns a
// Transition for each user it changed.
extern const std::string kApplyScript;
// KEYS: pd; ARGV: now, timeout, limit, hash key prefix, channel prefix,
// origin, ttl. Takes up to `limit` users whose deadline passed and makes
// each offline unless a device of theirs is live after all.
extern const std::string kClaimScript;
// KEYS: pd, ph:<user>...; ARGV: user...; per user: online (0/1), la, version.
extern const std::string kStatusScript;

struct Transition {
  PresenceEvent event;
  std::uint64_t version = 0;
};

// A notice on p:<user>: "1 <origin> <0|1> <last_active_at> <version>".
struct Notice {
  std::string origin;
  bool online = false;
  TimeMs last_active_at = 0;
  std::uint64_t version = 0;
};
// nullopt for anything else (wrong version, field count, number, trailing bytes).
std::optional<Notice> parse_notice(std::string_view payload);

// Arguments of kApplyScript for these users (KEYS then ARGV, without the
// EVAL, the script and the key count).
std::vector<std::string> apply_arguments(const std::string& prefix, const std::vector<UserFlush>& users, TimeMs now,
                                         TimeMs timeout, TimeMs ttl, const std::string& origin);

// The reply of kApplyScript or kClaimScript: a flat array of
// (user, online 0/1, last_active_at, version). An error when it is not one.
Result<std::vector<Transition>> parse_transitions(const redis::RedisReply& reply);
// The reply of kStatusScript for `count` users: (online, la, version) each.
struct KnownStatus {
  PresenceStatus status;
  std::uint64_t version = 0;
};
Result<std::vector<KnownStatus>> parse_statuses(const redis::RedisReply& reply, std::size_t count);

}  // namespace parley::presence
