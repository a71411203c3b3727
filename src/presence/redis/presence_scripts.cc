#include "presence/redis/presence_scripts.h"

#include <charconv>

namespace parley::presence {

namespace {

// Shared by the scripts that decide. `int` prints a time without exponent
// (Lua 5.1 would print 1.7e+12 for large numbers in some paths).
const std::string kPrelude = R"lua(
local function int(x) return string.format('%d', x) end
-- Drops the devices of `key` quiet since `cutoff` and tombstones older than
-- `forget`; the latest heartbeat of the devices still live (0: none).
local function live_latest(key, cutoff, forget)
  local fields = redis.call('HGETALL', key)
  local latest = 0
  for i = 1, #fields, 2 do
    local kind, t = string.sub(fields[i], 1, 2), tonumber(fields[i + 1]) or 0
    if kind == 'd:' then
      if t <= cutoff then redis.call('HDEL', key, fields[i]) elseif t > latest then latest = t end
    elseif kind == 'x:' and t <= forget then
      redis.call('HDEL', key, fields[i])
    end
  end
  return latest
end
-- A transition of `user`: its next version, a notice on its channel, a row of the reply.
local function transition(key, user, online, la, now, channels, origin, out)
  local v = (tonumber(redis.call('HGET', key, 'v')) or 0) + 1
  if v < now then v = now end
  redis.call('HSET', key, 'v', int(v))
  local flag = 0
  if online then flag = 1 end
  redis.call('PUBLISH', channels .. user, '1 ' .. origin .. ' ' .. flag .. ' ' .. int(la) .. ' ' .. int(v))
  out[#out + 1] = user
  out[#out + 1] = flag
  out[#out + 1] = la
  out[#out + 1] = v
end
)lua";

}  // namespace

const std::string kApplyScript = kPrelude + R"lua(
local now, timeout, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local channels, origin = ARGV[4], ARGV[5]
local out, a = {}, 6
for k = 2, #KEYS do
  local key, user = KEYS[k], ARGV[a]
  local gone = tonumber(ARGV[a + 1])
  a = a + 2
  for i = 1, gone do
    redis.call('HDEL', key, 'd:' .. ARGV[a])
    redis.call('HSET', key, 'x:' .. ARGV[a], int(now))
    a = a + 1
  end
  local quiet = tonumber(ARGV[a])
  a = a + 1
  for i = 1, quiet do
    local field = 'd:' .. ARGV[a]
    if (tonumber(redis.call('HGET', key, field)) or 0) <= tonumber(ARGV[a + 1]) then redis.call('HDEL', key, field) end
    a = a + 2
  end
  local beats = tonumber(ARGV[a])
  a = a + 1
  local counted, fresh, newest = 0, false, 0
  for i = 1, beats do
    local device, stamp = ARGV[a], tonumber(ARGV[a + 1])
    a = a + 2
    if redis.call('HEXISTS', key, 'x:' .. device) == 0 then
      counted = counted + 1
      if stamp > now - timeout then fresh = true end
      if stamp > newest then newest = stamp end
      local old = tonumber(redis.call('HGET', key, 'd:' .. device)) or 0
      if stamp > old then redis.call('HSET', key, 'd:' .. device, int(stamp)) end
    end
  end
  local la = tonumber(redis.call('HGET', key, 'la')) or 0
  if newest > la then
    la = newest
    redis.call('HSET', key, 'la', int(la))
  end
  local latest = live_latest(key, now - timeout, now - 2 * timeout)
  local online = redis.call('ZSCORE', KEYS[1], user)
  if latest > 0 then
    redis.call('ZADD', KEYS[1], int(latest + timeout), user)
    if not online then transition(key, user, true, la, now, channels, origin, out) end
  elseif online or (counted > 0 and not fresh) then
    if online then redis.call('ZREM', KEYS[1], user) end
    transition(key, user, false, la, now, channels, origin, out)
  end
  redis.call('PEXPIRE', key, ttl)
end
return out
)lua";

const std::string kClaimScript = kPrelude + R"lua(
local now, timeout = tonumber(ARGV[1]), tonumber(ARGV[2])
local keys, channels, origin, ttl = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local due = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, ARGV[3], 'WITHSCORES')
local out = {}
for i = 1, #due, 2 do
  local user, deadline = due[i], tonumber(due[i + 1])
  local key = keys .. user
  local latest = live_latest(key, now - timeout, now - 2 * timeout)
  if latest > 0 then
    redis.call('ZADD', KEYS[1], int(latest + timeout), user)
  else
    redis.call('ZREM', KEYS[1], user)
    local la = tonumber(redis.call('HGET', key, 'la')) or (deadline - timeout)
    transition(key, user, false, la, now, channels, origin, out)
    redis.call('PEXPIRE', key, ttl)
  end
end
return out
)lua";

const std::string kStatusScript = R"lua(
local out = {}
for i = 1, #ARGV do
  local online = 0
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then online = 1 end
  local h = redis.call('HMGET', KEYS[i + 1], 'la', 'v')
  out[#out + 1] = online
  out[#out + 1] = tonumber(h[1]) or 0
  out[#out + 1] = tonumber(h[2]) or 0
end
return out
)lua";

namespace {

template <typename T>
bool parse_number(std::string_view text, T& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

Error bad_reply(const redis::RedisReply& reply) {
  return make_error(ErrorCode::internal, "presence script answered " + redis::to_string(reply));
}

}  // namespace

std::optional<Notice> parse_notice(std::string_view payload) {
  std::vector<std::string_view> fields;
  while (!payload.empty()) {
    auto space = payload.find(' ');
    fields.push_back(payload.substr(0, space));
    if (space == std::string_view::npos) break;
    payload.remove_prefix(space + 1);
    if (payload.empty()) return std::nullopt;  // a trailing space
  }
  if (fields.size() != 5 || fields[0] != "1" || fields[1].empty()) return std::nullopt;
  Notice notice;
  notice.origin = std::string(fields[1]);
  if (fields[2] != "0" && fields[2] != "1") return std::nullopt;
  notice.online = fields[2] == "1";
  if (!parse_number(fields[3], notice.last_active_at) || notice.last_active_at < 0) return std::nullopt;
  if (!parse_number(fields[4], notice.version) || notice.version == 0) return std::nullopt;
  return notice;
}

std::vector<std::string> apply_arguments(const std::string& prefix, const std::vector<UserFlush>& users, TimeMs now,
                                         TimeMs timeout, TimeMs ttl, const std::string& origin) {
  std::vector<std::string> args;
  args.push_back(prefix + "pd");
  for (const auto& u : users) args.push_back(prefix + "ph:" + u.user);
  args.push_back(std::to_string(now));
  args.push_back(std::to_string(timeout));
  args.push_back(std::to_string(ttl));
  args.push_back(prefix + "p:");
  args.push_back(origin);
  for (const auto& u : users) {
    args.push_back(u.user);
    args.push_back(std::to_string(u.gone.size()));
    args.insert(args.end(), u.gone.begin(), u.gone.end());
    args.push_back(std::to_string(u.quiet.size()));
    for (const auto& [device, since] : u.quiet) {
      args.push_back(device);
      args.push_back(std::to_string(since));
    }
    args.push_back(std::to_string(u.beats.size()));
    for (const auto& [device, stamp] : u.beats) {
      args.push_back(device);
      args.push_back(std::to_string(stamp));
    }
  }
  return args;
}

Result<std::vector<Transition>> parse_transitions(const redis::RedisReply& reply) {
  using Type = redis::RedisReply::Type;
  if (reply.type != Type::array || reply.elements.size() % 4 != 0) return bad_reply(reply);
  std::vector<Transition> out;
  for (std::size_t i = 0; i < reply.elements.size(); i += 4) {
    const auto& user = reply.elements[i];
    const auto& flag = reply.elements[i + 1];
    const auto& la = reply.elements[i + 2];
    const auto& version = reply.elements[i + 3];
    if (user.type != Type::string || flag.type != Type::integer || la.type != Type::integer ||
        version.type != Type::integer || version.integer <= 0) {
      return bad_reply(reply);
    }
    out.push_back({{user.str, flag.integer == 1, la.integer}, static_cast<std::uint64_t>(version.integer)});
  }
  return out;
}

Result<std::vector<KnownStatus>> parse_statuses(const redis::RedisReply& reply, std::size_t count) {
  using Type = redis::RedisReply::Type;
  if (reply.type != Type::array || reply.elements.size() != 3 * count) return bad_reply(reply);
  std::vector<KnownStatus> out;
  out.reserve(count);
  for (std::size_t i = 0; i < reply.elements.size(); i += 3) {
    for (std::size_t j = i; j < i + 3; ++j) {
      if (reply.elements[j].type != Type::integer || reply.elements[j].integer < 0) return bad_reply(reply);
    }
    out.push_back({{reply.elements[i].integer == 1, reply.elements[i + 1].integer},
                   static_cast<std::uint64_t>(reply.elements[i + 2].integer)});
  }
  return out;
}

}  // namespace parley::presence
