#pragma once
// ZooKeeperMembership: this node's place in the cluster, kept in ZooKeeper.
//
// The node holds one ZooKeeper session and the ephemeral znode
// <root>/nodes/<node-id> whose data is its advertised URL; it watches the
// children of <root>/nodes and keeps the ring built from them. When the
// node's process dies, its session times out (session_timeout) and the
// server deletes the znode: every other node's watch fires and its ring
// drops the node, which moves only that node's users.
//
// Threads: one membership thread (started by start()) does every ZooKeeper
// call, opens a new session after an expiry and registers again. The client
// library's own threads only run the watcher, which sets a flag and wakes the
// membership thread: nothing slow ever runs on ZooKeeper's completion thread.
// ring(), state(), registered() and session() may be called from any thread.
//
// The ZooKeeper C client stays behind this header (zookeeper.h is included
// only by the .cc).

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cluster/hash_ring.h"

struct _zhandle;  // zhandle_t of the ZooKeeper C client

namespace parley::cluster {

// For /healthz. connecting: no session yet, or its connection was lost and
// the client is reconnecting (the session may still be alive); connected:
// the session is live; expired: the server dropped the session (the node's
// znode is gone) and a new one is being opened.
enum class SessionState { connecting, connected, expired };
std::string_view to_string(SessionState state);

struct MembershipConfig {
  std::string zookeeper;  // host:port[,host:port...]
  std::string root = "/parley";
  std::string node_id;
  std::string advertise_url;  // http(s)://host:port devices and nodes reach this node at
  // How long the server keeps a silent session (and so a dead node's znode)
  // alive: the time after which the ring drops a node that died. The server
  // clamps it to its own [minSessionTimeout, maxSessionTimeout].
  std::chrono::milliseconds session_timeout{10'000};
  // How long start() waits for a znode with this node id, left by another
  // session, to vanish before refusing to start. 0 means twice the session
  // timeout, which covers this node restarting faster than its old session
  // expired.
  std::chrono::milliseconds stale_registration_wait{0};
  // start() gives up (and throws) when not registered within this time.
  std::chrono::milliseconds start_timeout{30'000};
  std::size_t virtual_nodes = HashRing::kDefaultVirtualNodes;
  // Warnings and errors (a twin node id, session expiry, a malformed sibling
  // znode); called on the membership thread. Default: standard error.
  std::function<void(std::string_view)> log;
};

class ZooKeeperMembership {
 public:
  // Called on the membership thread with the full member list (sorted by id)
  // after every change. Keep it cheap — copy the list or post it elsewhere —
  // because refreshes and re-registration wait while it runs; it must not
  // call leave() or stop() (they wait for the membership thread).
  using MembersCallback = std::function<void(const std::vector<Member>&)>;

  // Session id and password, as the server issued them (for diagnostics and
  // tests that force an expiry).
  struct SessionCredentials {
    std::int64_t id = 0;
    std::array<char, 16> password{};
  };

  // Validates the configuration: throws std::invalid_argument with a clear
  // message for a hostile node id, root, URL or ZooKeeper address. Starts
  // nothing.
  explicit ZooKeeperMembership(MembershipConfig config, MembersCallback on_members = {});
  ~ZooKeeperMembership();
  ZooKeeperMembership(const ZooKeeperMembership&) = delete;
  ZooKeeperMembership& operator=(const ZooKeeperMembership&) = delete;

  // Connects, creates <root>/nodes (each missing level, persistent),
  // registers this node and reads the member list. Returns once the ring
  // contains this node. Throws std::runtime_error when ZooKeeper cannot be
  // reached within start_timeout, or when another live session holds this
  // node id (two nodes configured with one id must not share it). Once.
  void start();

  // Graceful drain: publishes a ring without this node first (callback
  // included), then deletes the znode; never registers again, also after a
  // session expiry. Returns true once the znode is gone, false when that
  // could not be confirmed within `timeout` (the session's end removes it).
  bool leave(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Closes the session (the server deletes the znode at once) and joins the
  // membership thread. Idempotent; the destructor calls it.
  void stop();

  // The current ring; never null (empty before the first member list).
  std::shared_ptr<const HashRing> ring() const { return ring_.load(); }
  SessionState state() const;
  // True while this node's znode exists in the current session.
  bool registered() const;
  std::optional<SessionCredentials> session() const;
  // The last problem worth an operator's attention, empty when none.
  std::string problem() const;
  const MembershipConfig& config() const { return config_; }
  const std::string& znode_path() const { return self_path_; }

 private:
  static void on_watch(::_zhandle* zh, int type, int state, const char* path, void* context);
  void watch(::_zhandle* zh, int type, int state, const char* path);

  void run();
  void open_session();
  void close_session();
  // Each returns false on a failure worth a retry after a short pause.
  bool ensure_nodes_path();
  bool try_register();
  bool refresh_members();
  bool delete_own_node();
  void publish(std::vector<Member> members);
  void report(std::string message);

  const MembershipConfig config_;
  const MembersCallback on_members_;
  const std::string nodes_path_;  // <root>/nodes
  const std::string self_path_;   // <root>/nodes/<node-id>
  std::atomic<std::shared_ptr<const HashRing>> ring_;

  // Membership thread only.
  ::_zhandle* zh_ = nullptr;
  std::vector<Member> members_;  // as last read from ZooKeeper
  std::vector<Member> published_;
  bool published_once_ = false;
  std::optional<std::chrono::steady_clock::time_point> twin_since_;

  // Shared with the watcher and callers; held only for flag updates, never
  // across a ZooKeeper call or a callback.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  SessionState state_ = SessionState::connecting;
  std::optional<SessionCredentials> session_;
  bool session_changed_ = false;  // connected again: re-read everything
  bool expired_ = false;
  bool auth_failed_ = false;
  bool children_dirty_ = true;
  bool own_node_dirty_ = false;  // the znode holding our id was deleted
  bool registered_ = false;
  bool in_ring_ = false;  // a published ring contains this node
  bool leave_requested_ = false;
  bool left_ = false;
  bool fatal_ = false;  // start() must fail with problem_
  bool stop_ = false;
  bool started_ = false;
  std::string problem_;
  std::thread thread_;
};

}  // namespace parley::cluster
