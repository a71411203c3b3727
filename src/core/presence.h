#pragma once
// Presence: a user is online while any of its devices heartbeats, offline
// once none has for the presence timeout, or at once when its last device
// logs out. Changes fan out to direct-chat contacts and to devices that
// subscribed. Thread-safe. Between start() and stop() it owns the presence
// thread, which sweeps every `presence_sweep_ms`; last_active_at is stored
// through the LastActiveWriter, never on the caller's thread.

#include <array>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/accounts.h"
#include "core/chat_directory.h"
#include "core/config.h"
#include "core/last_active_writer.h"
#include "core/ports.h"

namespace parley {

class Presence {
 public:
  Presence(ChatDirectory& chats, AccountStore& accounts, LastActiveWriter& last_active, EventSink& sink, Clock& clock,
           const CoreConfig& config);
  ~Presence();

  // Starts the presence thread (unless presence_sweep_ms is 0).
  void start();
  void stop();

  void heartbeat(const AuthContext& device);
  void logged_out(const AuthContext& device);
  // Marks users offline whose devices all went quiet. Runs on the presence
  // thread; cost is proportional to the number of online users. No store
  // writes: last_active_at goes to the LastActiveWriter.
  void sweep();

  // Current status of users who share a chat with `asker`; forbidden if any does not.
  Result<std::vector<PresenceEvent>> query(const UserId& asker, const std::vector<UserId>& users);
  // Same check and answer; afterwards the device also gets every change of
  // those users. `connection_watches` is the calling connection's own set:
  // a user it already watches is not counted again. Subscriptions are
  // counted per device and watched user, so that two connections of one
  // device (two tabs) can each subscribe and leave.
  Result<std::vector<PresenceEvent>> subscribe(const AuthContext& subscriber, const std::vector<UserId>& users,
                                               std::set<UserId>& connection_watches);
  // Drops one subscription of the device to each user (a connection closed).
  void unsubscribe(const AuthContext& subscriber, const std::vector<UserId>& users);
  // Drops every subscription of the device (it logged out).
  void unsubscribe_all(const AuthContext& subscriber);

 private:
  struct UserPresence {
    std::unordered_map<DeviceId, TimeMs> last_heartbeat;
    TimeMs last_active_at = 0;
    bool online = false;
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<UserId, UserPresence> users;
  };
  using DeviceKey = std::pair<UserId, DeviceId>;

  Shard& shard(const UserId& id);
  Result<PresenceEvent> status_of(const UserId& user);
  // forbidden unless `asker` shares a chat with every one of `users`.
  Status authorise(const UserId& asker, const std::vector<UserId>& users);
  Result<std::vector<PresenceEvent>> statuses(const std::vector<UserId>& users);
  void announce(const PresenceEvent& change);

  void run_sweeper();

  ChatDirectory& chats_;
  AccountStore& accounts_;
  LastActiveWriter& last_active_;
  EventSink& sink_;
  Clock& clock_;
  const CoreConfig& config_;
  std::array<Shard, 16> shards_;

  std::mutex subscriptions_mutex_;
  std::map<UserId, std::set<DeviceKey>> subscribers_;    // watched user -> devices
  std::map<DeviceKey, std::map<UserId, int>> watching_;  // device -> watched user -> subscriptions

  std::mutex sweeper_mutex_;
  std::condition_variable sweeper_wake_;
  bool sweeper_stopping_ = false;
  std::thread sweeper_;
};

}  // namespace parley
