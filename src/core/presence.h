#pragma once
// Presence: a user is online while any of its devices heartbeats, offline
// once none has for the presence timeout, or at once when its last device
// logs out. Where heartbeats are kept and who is online is decided is the
// PresenceRegistry port: in memory on a single node, shared in a cluster.
// Each transition is decided by one registry in the cluster; that node
// announces it to the user's direct-chat contacts through the EventSink
// (which reaches every node) and stores last_active_at. Subscriptions of
// devices (presence_subscribe) stay on the node of the device, which watches
// the users they name in its registry and so hears changes decided anywhere.
//
// A device whose connections close cleanly goes offline after a short grace
// (offline_grace_ms), a reconnect within it keeps it online; one that
// vanishes without a close is caught by the presence timeout.
//
// Thread-safe. Between start() and stop() it owns the presence thread, which
// calls sweep() every `presence_sweep_ms` and when the registry wakes it;
// last_active_at is stored through the LastActiveWriter, never on the
// caller's thread.

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "core/accounts.h"
#include "core/chat_directory.h"
#include "core/config.h"
#include "core/last_active_writer.h"
#include "core/ports.h"
#include "core/privacy.h"

namespace parley {

class Presence {
 public:
  Presence(PresenceRegistry& registry, ChatDirectory& chats, Privacy& privacy, AccountStore& accounts,
           LastActiveWriter& last_active, EventSink& sink, Clock& clock, const CoreConfig& config);
  ~Presence();

  // Starts the presence thread (unless presence_sweep_ms is 0) and lets the
  // registry wake it.
  void start();
  void stop();

  void heartbeat(const AuthContext& device);
  void logged_out(const AuthContext& device);
  // A connection of the device said hello on this node: counted, and a heartbeat.
  void connected(const AuthContext& device);
  // A connection counted by connected() ended. `clean`: the client closed it
  // (a close frame: a reload, a closed tab). When the device has no
  // connection left on this node and the last one closed cleanly, it stops
  // keeping its user online `offline_grace_ms` later, unless it heartbeats
  // again meanwhile (anywhere in a cluster): a reload publishes nothing. A
  // connection that vanished is left to the presence timeout.
  void disconnected(const AuthContext& device, bool clean);
  // Takes what the registry collected (users gone quiet, changes decided
  // asynchronously or on other nodes) and hands it on. Runs on the presence
  // thread; no store writes: last_active_at goes to the LastActiveWriter.
  void sweep();

  // Current status of users who share a chat with `asker`; forbidden if any
  // does not. A user whose presence `asker` may not see (Privacy) is
  // answered offline with last_active_at 0, like one never seen.
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
  // Who may see the presence of these users changed (a privacy setting, a
  // block): their contacts and this node's subscribers get their status
  // again, as each may see it now.
  void privacy_changed(const std::vector<UserId>& subjects);

 private:
  using DeviceKey = std::pair<UserId, DeviceId>;

  // forbidden unless `asker` shares a chat with every one of `users`.
  Status authorise(const UserId& asker, const std::vector<UserId>& users);
  Result<std::vector<PresenceEvent>> statuses(const std::vector<UserId>& users);
  // The stored (or still pending) last_active_at of a user the registry knows nothing of.
  Result<TimeMs> stored_last_active(const UserId& user);
  // A transition decided here: to the contacts and this node's subscribers.
  void announce(const PresenceEvent& change);
  // A change decided on another node: to this node's subscribers.
  void heard(PresenceEvent change);
  std::vector<DeviceKey> subscribed_devices(const UserId& user);
  // To this node's subscribers of the user, except the user's contacts (they
  // got it on all their devices from the node that decided it).
  // Only to those who may see it (Privacy); with `hidden_too`, the others
  // get the user as offline and never seen.
  void deliver_to_subscribers(const PresenceEvent& change, const std::vector<UserId>& contacts,
                              bool hidden_too = false);
  // The contacts that may see the change get it on all their devices; with
  // `hidden_too`, the others get the user as offline and never seen.
  void deliver_to_contacts(const PresenceEvent& change, const std::vector<UserId>& contacts, bool hidden_too);
  // Whether `viewer` may see `subject`; an answer that cannot be read hides.
  bool visible(const UserId& viewer, const UserId& subject);
  // With subscriptions_mutex_ held: drops the device's subscription to `user`.
  void drop_subscriber(const UserId& user, const DeviceKey& key);

  // Tells the registry of the devices whose grace ran out (on the presence thread).
  void release_closed(TimeMs now);

  void run_sweeper();
  void wake();

  PresenceRegistry& registry_;
  ChatDirectory& chats_;
  Privacy& privacy_;
  AccountStore& accounts_;
  LastActiveWriter& last_active_;
  EventSink& sink_;
  Clock& clock_;
  const CoreConfig& config_;

  std::mutex subscriptions_mutex_;
  std::map<UserId, std::set<DeviceKey>> subscribers_;    // watched user -> devices
  std::map<DeviceKey, std::map<UserId, int>> watching_;  // device -> watched user -> subscriptions

  std::mutex connections_mutex_;
  std::map<DeviceKey, int> open_connections_;  // on this node
  std::map<DeviceKey, TimeMs> closed_at_;      // no connection left, the last closed cleanly then

  std::mutex sweeper_mutex_;
  std::condition_variable sweeper_wake_;
  bool sweeper_stopping_ = false;
  bool sweeper_woken_ = false;
  std::thread sweeper_;
};

}  // namespace parley
