#include "cluster/zookeeper_membership.h"

#include <zookeeper/zookeeper.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "cluster/cluster_names.h"

namespace parley::cluster {
namespace {

using Clock = std::chrono::steady_clock;

// After a failed ZooKeeper call (connection loss, a sibling that vanished
// mid-read): short, so a registration lost to a blip comes back quickly.
constexpr auto kRetryPause = std::chrono::milliseconds(250);
// Safety net: the watcher wakes the thread; this bounds a missed wake-up.
constexpr auto kIdleWake = std::chrono::seconds(1);

std::string hex_session(std::int64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, static_cast<std::uint64_t>(id));
  return buf;
}

std::string zk_error(int rc) {
  return zerror(rc);
}

// The client library's own log (warnings and errors only): while ZooKeeper
// is unreachable it reports every reconnect attempt, dozens a second, so
// keep at most one line a second, process-wide (the callback has no context).
void client_log(const char* message) {
  static std::atomic<std::int64_t> last_second{-1};
  static std::atomic<std::uint64_t> dropped{0};
  const std::int64_t second = std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
  std::int64_t last = last_second.load();
  if (last == second || !last_second.compare_exchange_strong(last, second)) {
    dropped.fetch_add(1);
    return;
  }
  const std::uint64_t skipped = dropped.exchange(0);
  std::fprintf(stderr, "%s%s\n", message,
               skipped > 0 ? (" (" + std::to_string(skipped) + " more lines dropped)").c_str() : "");
}

MembershipConfig validated(MembershipConfig config) {
  if (auto e = node_id_error(config.node_id)) throw std::invalid_argument(*e);
  if (auto e = root_error(config.root)) throw std::invalid_argument(*e);
  if (auto e = advertise_url_error(config.advertise_url)) throw std::invalid_argument(*e);
  if (auto e = connect_string_error(config.zookeeper)) throw std::invalid_argument(*e);
  if (config.session_timeout < std::chrono::milliseconds(100) || config.session_timeout > std::chrono::hours(1)) {
    throw std::invalid_argument("ZooKeeper session timeout must be between 100 ms and 1 h");
  }
  if (config.virtual_nodes == 0 || config.virtual_nodes > 4096) {
    throw std::invalid_argument("virtual nodes per member must be between 1 and 4096");
  }
  if (config.stale_registration_wait.count() <= 0) config.stale_registration_wait = 2 * config.session_timeout;
  if (!config.log) {
    config.log = [](std::string_view line) {
      std::fprintf(stderr, "parley cluster: %.*s\n", static_cast<int>(line.size()), line.data());
    };
  }
  return config;
}

}  // namespace

std::string_view to_string(SessionState state) {
  switch (state) {
    case SessionState::connecting:
      return "connecting";
    case SessionState::connected:
      return "connected";
    case SessionState::expired:
      return "expired";
  }
  return "unknown";
}

ZooKeeperMembership::ZooKeeperMembership(MembershipConfig config, MembersCallback on_members)
    : config_(validated(std::move(config))),
      on_members_(std::move(on_members)),
      nodes_path_(config_.root + "/nodes"),
      self_path_(nodes_path_ + "/" + config_.node_id),
      ring_(HashRing::build({}, config_.virtual_nodes)) {}

ZooKeeperMembership::~ZooKeeperMembership() {
  stop();
}

void ZooKeeperMembership::start() {
  std::unique_lock lk(mu_);
  if (started_) throw std::logic_error("ZooKeeperMembership::start called twice");
  started_ = true;
  thread_ = std::thread([this] { run(); });
  const bool ready = cv_.wait_for(lk, config_.start_timeout, [this] { return in_ring_ || fatal_; });
  if (ready && !fatal_) return;
  std::string why = problem_;
  if (!ready) {
    why = state_ == SessionState::connected
              ? "not registered as " + self_path_ + " within " + std::to_string(config_.start_timeout.count()) + " ms" +
                    (problem_.empty() ? "" : ": " + problem_)
              : "could not reach ZooKeeper at " + config_.zookeeper + " within " +
                    std::to_string(config_.start_timeout.count()) + " ms";
  }
  lk.unlock();
  stop();
  throw std::runtime_error("cluster membership: " + why);
}

bool ZooKeeperMembership::leave(std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  leave_requested_ = true;
  if (!started_ || stop_) {
    left_ = true;
    return true;
  }
  cv_.notify_all();
  return cv_.wait_for(lk, timeout, [this] { return left_ || stop_; }) && left_;
}

void ZooKeeperMembership::stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

SessionState ZooKeeperMembership::state() const {
  std::lock_guard lk(mu_);
  return state_;
}

bool ZooKeeperMembership::registered() const {
  std::lock_guard lk(mu_);
  return registered_;
}

std::optional<ZooKeeperMembership::SessionCredentials> ZooKeeperMembership::session() const {
  std::lock_guard lk(mu_);
  return session_;
}

std::string ZooKeeperMembership::problem() const {
  std::lock_guard lk(mu_);
  return problem_;
}

void ZooKeeperMembership::on_watch(::_zhandle* zh, int type, int state, const char* path, void* context) {
  static_cast<ZooKeeperMembership*>(context)->watch(zh, type, state, path);
}

// ZooKeeper's completion thread: flags only, then wake the membership thread.
void ZooKeeperMembership::watch(::_zhandle* zh, int type, int state, const char* path) {
  (void)path;
  {
    std::lock_guard lk(mu_);
    if (type == ZOO_SESSION_EVENT) {
      if (state == ZOO_CONNECTED_STATE) {
        state_ = SessionState::connected;
        const clientid_t* id = zoo_client_id(zh);
        SessionCredentials credentials;
        credentials.id = id->client_id;
        std::memcpy(credentials.password.data(), id->passwd, credentials.password.size());
        session_ = credentials;
        session_changed_ = true;
      } else if (state == ZOO_EXPIRED_SESSION_STATE) {
        state_ = SessionState::expired;
        expired_ = true;
        registered_ = false;
        in_ring_ = false;
      } else if (state == ZOO_AUTH_FAILED_STATE) {
        auth_failed_ = true;
      } else if (state_ != SessionState::expired) {
        state_ = SessionState::connecting;
      }
    } else {
      // A child, deletion or "no longer watching" event on <root>/nodes.
      children_dirty_ = true;
    }
  }
  cv_.notify_all();
}

void ZooKeeperMembership::run() {
  auto retry_at = Clock::now();
  std::unique_lock lk(mu_);
  while (!stop_) {
    if (auth_failed_ && !fatal_) {
      fatal_ = true;
      problem_ = "ZooKeeper refused this client's authentication";
      report(problem_);
      cv_.notify_all();
    }
    if ((zh_ == nullptr || expired_) && Clock::now() >= retry_at) {
      const bool was_expired = expired_;
      expired_ = false;
      registered_ = false;
      lk.unlock();
      if (was_expired) {
        report("ZooKeeper session expired (the server deleted " + self_path_ +
               "); opening a new session to register again");
      }
      close_session();
      open_session();
      lk.lock();
      if (zh_ == nullptr) retry_at = Clock::now() + kIdleWake;
      continue;
    }
    const auto now = Clock::now();
    if (zh_ != nullptr && state_ == SessionState::connected && now >= retry_at) {
      bool ok = true;
      bool worked = true;
      if (session_changed_) {
        // A new or re-established connection: the watch may have missed changes.
        session_changed_ = false;
        children_dirty_ = true;
        const int negotiated = zoo_recv_timeout(zh_);
        if (negotiated != static_cast<int>(config_.session_timeout.count())) {
          report("ZooKeeper granted a session timeout of " + std::to_string(negotiated) + " ms instead of " +
                 std::to_string(config_.session_timeout.count()) + " ms (server's min/max session timeout)");
        }
      }
      if (leave_requested_ && !left_) {
        lk.unlock();
        ok = delete_own_node();
        lk.lock();
        if (ok) {
          left_ = true;
          registered_ = false;
          cv_.notify_all();
        }
      } else if (!registered_ && !leave_requested_) {
        lk.unlock();
        ok = try_register();
        lk.lock();
      } else if (children_dirty_) {
        children_dirty_ = false;
        lk.unlock();
        ok = refresh_members();
        lk.lock();
        if (!ok) children_dirty_ = true;
      } else {
        worked = false;
      }
      if (!ok) retry_at = Clock::now() + kRetryPause;
      if (worked) continue;
    }
    cv_.wait_until(lk, retry_at > now ? retry_at : now + kIdleWake);
  }
  registered_ = false;
  lk.unlock();
  close_session();
}

void ZooKeeperMembership::open_session() {
  static std::once_flag quiet;
  // The client logs every connection attempt at INFO to stderr; keep its
  // warnings and errors only. The level is process-wide in the C client.
  std::call_once(quiet, [] { zoo_set_debug_level(ZOO_LOG_LEVEL_WARN); });
  zh_ = zookeeper_init2(config_.zookeeper.c_str(), &ZooKeeperMembership::on_watch,
                        static_cast<int>(config_.session_timeout.count()), nullptr, this, 0, &client_log);
  if (zh_ == nullptr) report("cannot open a ZooKeeper session to " + config_.zookeeper + ": " + std::strerror(errno));
}

void ZooKeeperMembership::close_session() {
  if (zh_ == nullptr) return;
  // Joins the client's threads: no watcher runs after this returns. Closing
  // a live session makes the server delete its ephemeral znode at once.
  zookeeper_close(zh_);
  zh_ = nullptr;
  std::lock_guard lk(mu_);
  session_.reset();
  registered_ = false;
}

bool ZooKeeperMembership::ensure_nodes_path() {
  // Each level of <root>/nodes, persistent; another node may create it
  // concurrently, so "already exists" is success.
  for (std::size_t slash = nodes_path_.find('/', 1);; slash = nodes_path_.find('/', slash + 1)) {
    const std::string level = nodes_path_.substr(0, slash);
    const int rc = zoo_create(zh_, level.c_str(), nullptr, -1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, nullptr, 0);
    if (rc != ZOK && rc != ZNODEEXISTS) {
      report("cannot create " + level + ": " + zk_error(rc));
      return false;
    }
    if (slash == std::string::npos) return true;
  }
}

bool ZooKeeperMembership::try_register() {
  if (!ensure_nodes_path()) return false;
  const std::string& url = config_.advertise_url;
  int rc = zoo_create(zh_, self_path_.c_str(), url.data(), static_cast<int>(url.size()), &ZOO_OPEN_ACL_UNSAFE,
                      ZOO_EPHEMERAL, nullptr, 0);
  const std::int64_t mine = zoo_client_id(zh_)->client_id;
  if (rc == ZNODEEXISTS) {
    struct Stat st {};
    char data[kMaxUrlBytes + 1];
    int len = sizeof data;
    rc = zoo_get(zh_, self_path_.c_str(), 0, data, &len, &st);
    if (rc == ZNONODE) return true;  // vanished meanwhile: create again at once
    if (rc != ZOK) {
      report("cannot read " + self_path_ + ": " + zk_error(rc));
      return false;
    }
    if (st.ephemeralOwner != mine) {
      // Never deleted: without state persisted across restarts, an earlier
      // run of this node cannot be told from a live node configured with
      // the same id. An earlier run's session expires within its timeout;
      // a live twin's never does, so waiting is safe either way.
      const std::string holder = (st.ephemeralOwner == 0 ? std::string("nobody (a persistent znode)")
                                                         : "ZooKeeper session " + hex_session(st.ephemeralOwner)) +
                                 ", URL \"" + std::string(data, static_cast<std::size_t>(std::max(len, 0))) + "\"";
      const auto now = Clock::now();
      if (!twin_since_) {
        twin_since_ = now;
        report("node id \"" + config_.node_id + "\" is already registered (" + self_path_ + ", held by " + holder +
               "); waiting up to " + std::to_string(config_.stale_registration_wait.count()) +
               " ms for it to vanish: an earlier run of this node whose session has not expired, or another node "
               "configured with the same id");
      } else if (now - *twin_since_ >= config_.stale_registration_wait) {
        twin_since_ = now;  // report again after another wait
        const std::string message = "node id \"" + config_.node_id + "\" is held by another live registration (" +
                                    holder + "): two nodes must not share an id; give each node its own --node-id";
        report(message);
        std::lock_guard lk(mu_);
        problem_ = message;
        fatal_ = true;
        cv_.notify_all();
      }
      return false;
    }
    rc = ZOK;  // ours: a create whose reply was lost to a connection loss
  }
  if (rc != ZOK) {
    report("cannot register " + self_path_ + ": " + zk_error(rc));
    return false;
  }
  twin_since_.reset();
  std::lock_guard lk(mu_);
  registered_ = true;
  children_dirty_ = true;
  problem_.clear();
  return true;
}

bool ZooKeeperMembership::refresh_members() {
  struct String_vector children {};
  struct Stat st {};
  // Re-arms the child watch: the next change of <root>/nodes wakes us.
  int rc = zoo_wget_children2(zh_, nodes_path_.c_str(), &ZooKeeperMembership::on_watch, this, &children, &st);
  if (rc == ZNONODE) {
    // Someone removed the whole tree (and our znode with it): start over.
    std::lock_guard lk(mu_);
    registered_ = false;
    return false;
  }
  if (rc != ZOK) return false;
  std::vector<Member> members;
  bool ok = true;
  for (int i = 0; i < children.count && ok; ++i) {
    const std::string id = children.data[i];
    if (auto e = node_id_error(id)) {
      report("ignoring " + nodes_path_ + " child: " + *e);
      continue;
    }
    char data[kMaxUrlBytes + 1];
    int len = sizeof data;
    rc = zoo_get(zh_, (nodes_path_ + "/" + id).c_str(), 0, data, &len, nullptr);
    if (rc == ZNONODE) continue;  // left meanwhile; its child event follows
    if (rc != ZOK) {
      ok = false;
      break;
    }
    const std::string url(data, static_cast<std::size_t>(std::clamp(len, 0, static_cast<int>(kMaxUrlBytes))));
    if (len < 0 || len > static_cast<int>(kMaxUrlBytes) || advertise_url_error(url)) {
      report("ignoring member \"" + id + "\": its znode does not hold a valid advertised URL");
      continue;
    }
    members.push_back(Member{id, url});
  }
  deallocate_String_vector(&children);
  if (!ok) return false;
  const bool self_listed =
      std::any_of(members.begin(), members.end(), [this](const Member& m) { return m.id == config_.node_id; });
  {
    std::lock_guard lk(mu_);
    if (registered_ && !self_listed) {
      // Deleted by someone else (an operator): register again.
      report(self_path_ + " was deleted while this node's session is live; registering again");
      registered_ = false;
    }
  }
  members_ = std::move(members);
  publish(members_);
  return true;
}

bool ZooKeeperMembership::delete_own_node() {
  // Out of the ring first, so this node stops claiming users before the
  // others see it go.
  publish(members_);
  if (!registered()) return true;
  struct Stat st {};
  int rc = zoo_exists(zh_, self_path_.c_str(), 0, &st);
  if (rc == ZNONODE) return true;
  if (rc != ZOK) return false;
  if (st.ephemeralOwner != zoo_client_id(zh_)->client_id) return true;  // not ours: never touch it
  rc = zoo_delete(zh_, self_path_.c_str(), st.version);
  if (rc == ZOK || rc == ZNONODE) return true;
  report("cannot delete " + self_path_ + ": " + zk_error(rc));
  return false;
}

void ZooKeeperMembership::publish(std::vector<Member> members) {
  bool leaving = false;
  {
    std::lock_guard lk(mu_);
    leaving = leave_requested_;
  }
  if (leaving) {
    std::erase_if(members, [this](const Member& m) { return m.id == config_.node_id; });
  }
  std::sort(members.begin(), members.end(), [](const Member& a, const Member& b) { return a.id < b.id; });
  if (published_once_ && members == published_) return;
  published_once_ = true;
  published_ = members;
  auto ring = HashRing::build(members, config_.virtual_nodes);
  const bool self_in_ring = ring->find(config_.node_id) != nullptr;
  ring_.store(std::move(ring));
  if (on_members_) on_members_(published_);
  {
    std::lock_guard lk(mu_);
    in_ring_ = self_in_ring;
  }
  cv_.notify_all();
}

void ZooKeeperMembership::report(std::string message) {
  std::string line = "[" + config_.node_id + "] " + std::move(message);
  config_.log(line);
}

}  // namespace parley::cluster
