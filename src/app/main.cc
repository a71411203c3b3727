// parleyd: parses configuration, wires the adapters to the core, runs the
// server until SIGTERM/SIGINT, then shuts down in two phases: stop input,
// then drain (pending sends are committed and acknowledged) and exit 0.
// Without cluster flags it is one node on its embedded RocksDB; with
// --zookeeper, --redis, --mariadb and --node-id it is a cluster node
// (app/cluster_node.h), and a SIGTERM first takes it out of the ring.

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <thread>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "app/admin_token.h"
#include "app/cluster_node.h"
#include "bus/local/local_event_bus.h"
#include "core/core.h"
#include "crypto/sodium_credentials.h"
#include "inet/host_port.h"
#include "net/server.h"
#include "net/web_root_search.h"
#include "push/push_router.h"
#include "push/vapid.h"
#include "push/webhook_sender.h"
#include "push/webpush_sender.h"
#include "store/rocks/rocks_store.h"

namespace {

struct SystemClock final : parley::Clock {
  parley::TimeMs now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// Each connection needs a descriptor; the soft limit is often 1024.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  }
  spdlog::info("open-file limit {}", static_cast<unsigned long long>(limit.rlim_cur));
}

// Bounds of the push queue's timing flags. A lease shorter than twice a
// push's timeout (WebhookPushSender: 10 s) could end while its node is still
// sending, and another node would send the push too.
constexpr parley::TimeMs kMinPushLeaseMs = 20'000;
constexpr parley::TimeMs kMinPushHeadPollMs = 10;
constexpr parley::TimeMs kMaxPushHeadPollMs = 60'000;
constexpr parley::TimeMs kMinPushRescanMs = 1'000;
constexpr parley::TimeMs kMaxPushTimingMs = 86'400'000;  // a day

// Written to a temporary name and renamed, so a reader never sees half a port.
void write_port_file(const std::string& path, std::uint16_t port) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << '\n';
    if (!out) throw std::runtime_error("cannot write --port-file " + path);
  }
  std::filesystem::rename(temporary, path);
}

}  // namespace

namespace {

int run(int argc, char** argv) {
  CLI::App app{"parleyd — the Parley chat server"};
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "./data";
  std::string web_root;
  std::string log_level = "info";
  double presence_timeout_s = 30;
  double heartbeat_interval_s = 5;
  parley::CoreConfig core_config;
  parley::ServerConfig server_config;
  std::int64_t push_retry_initial_ms = core_config.push_retry_initial_ms;
  double push_give_up_hours = static_cast<double>(core_config.push_give_up_after_ms) / 3'600'000.0;

  app.add_option("--listen", listen, "HOST:PORT to listen on")->capture_default_str();
  app.add_option("--data-dir", data_dir, "directory of the embedded database (created if missing)")
      ->capture_default_str();
  app.add_option("--presence-timeout", presence_timeout_s,
                 "seconds without a heartbeat from any device before a user is offline")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  // 2 s at least: the devices' uses are stored every quarter of it (at most
  // every 5 s), so other nodes of a cluster never see a device in use as idle.
  std::int64_t token_idle_expiry_s = 0;
  app.add_option("--token-idle-expiry", token_idle_expiry_s,
                 "seconds after which a token unused (no request, no heartbeat) stops working; 0 = never")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{10} * 366 * 86'400));
  app.add_option("--offline-grace-ms", core_config.offline_grace_ms,
                 "a device whose connections closed cleanly keeps its user online this long (a reload does not flap)")
      ->capture_default_str()
      ->check(CLI::Range(0, 600'000));
  app.add_option("--heartbeat-interval", heartbeat_interval_s, "seconds between client heartbeats (told in welcome)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-text-bytes", core_config.max_text_bytes, "longest message text, in bytes")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-group-size", core_config.max_group_size, "most members of a group, creator included")
      ->capture_default_str()
      ->check(CLI::Range(2, 1'000'000));
  app.add_option("--max-presence-users", core_config.max_presence_users,
                 "users one presence query or presence_subscribe may name")
      ->capture_default_str()
      ->check(CLI::Range(1, 100'000));
  app.add_option("--max-frames-per-second", server_config.max_frames_per_second,
                 "frames per second one WebSocket may send (bursts of twice that); 0 = unlimited")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-frame-bytes", server_config.max_frame_bytes, "largest WebSocket message; larger closes 1009")
      ->capture_default_str()
      ->check(CLI::Range(256, 16 * 1024 * 1024));
  app.add_option("--max-body-bytes", server_config.max_body_bytes, "largest HTTP request body; larger is 413")
      ->capture_default_str()
      ->check(CLI::Range(256, 16 * 1024 * 1024));
  app.add_option("--threads", server_config.threads, "I/O threads (default: one per core)")->check(CLI::Range(1, 1024));
  app.add_option("--push-retry-initial-ms", push_retry_initial_ms,
                 "first retry delay of a failed push; doubles up to 5 minutes")
      ->capture_default_str()
      ->check(CLI::Range(10, 3'600'000));
  app.add_option("--push-coalesce-ms", core_config.push_coalesce_ms,
                 "messages for one offline device within this window share one push (with a count)")
      ->capture_default_str()
      ->check(CLI::Range(0, 60'000));
  app.add_option("--push-give-up-hours", push_give_up_hours, "how long a failing push is retried")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 24.0 * 30));
  // The push queue's timing: every node of a cluster should run with the same values.
  app.add_option("--push-lease-ms", core_config.push_lease_ms,
                 "how long a node's claim on a push it is sending lasts; if the node dies, another sends the push "
                 "after this (at least twice a push's 10 s timeout, plus the clock skew between nodes)")
      ->capture_default_str()
      ->check(CLI::Range(kMinPushLeaseMs, kMaxPushTimingMs));
  app.add_option("--push-head-poll-ms", core_config.push_head_poll_ms,
                 "how often the push planner reads its log shards' heads (other nodes commit to them) and which "
                 "shards it owns")
      ->capture_default_str()
      ->check(CLI::Range(kMinPushHeadPollMs, kMaxPushHeadPollMs));
  app.add_option("--push-rescan-ms", core_config.push_rescan_ms,
                 "how often the push planner reloads its shards' stored push jobs, taking over those of a node "
                 "that died (at least --push-head-poll-ms)")
      ->capture_default_str()
      ->check(CLI::Range(kMinPushRescanMs, kMaxPushTimingMs));
  std::string push_allow_hosts;
  app.add_option("--push-allow-hosts", push_allow_hosts,
                 "HOST, IP or CIDR entries, comma-separated, that push webhooks may reach although they are "
                 "loopback, private, link-local or otherwise special-use (refused by default)");
  std::string vapid_key_file;
  app.add_option("--vapid-key-file", vapid_key_file,
                 "Web Push: the VAPID private key (PEM, P-256) browsers' subscriptions are bound to; every node of a "
                 "cluster must be given the same file (default on a single node: vapid_private.pem in --data-dir, "
                 "created on first start)");
  std::string admin_token_file;
  app.add_option("--admin-token-file", admin_token_file,
                 "the operator's admin token for /v1/admin/... (first line, 32-512 printable bytes); give every node "
                 "of a cluster the same file (default on a single node: admin_token in --data-dir, created with mode "
                 "0600 on first start; a cluster node without it has no admin API)");
  std::string vapid_subject = "mailto:postmaster@localhost";
  app.add_option("--vapid-subject", vapid_subject,
                 "Web Push: the contact push services see in the VAPID token (mailto: or https: URL)")
      ->capture_default_str();
  auto& throttle = server_config.login_throttle;
  app.add_option("--login-account-burst", throttle.account.burst,
                 "failed logins (and signups) per e-mail allowed at once, from any address; 0 = unlimited")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--login-account-per-minute", throttle.account.per_minute,
                 "failed logins per e-mail allowed per minute after the burst")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 1e9));
  app.add_option("--login-address-burst", throttle.address.burst,
                 "login and signup attempts per client address (IPv6: per /64) allowed at once; 0 = unlimited")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--login-address-per-minute", throttle.address.per_minute,
                 "login and signup attempts per client address allowed per minute after the burst")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 1e9));
  app.add_option("--login-throttle-slots", throttle.max_tracked,
                 "accounts and addresses tracked by each throttle table (24 bytes each; fixed memory)")
      ->capture_default_str()
      ->check(CLI::Range(64, 64 * 1024 * 1024));
  std::string trusted_proxies;
  app.add_flag("--stats-endpoint", server_config.stats_endpoint,
               "serve GET /v1/stats (memory, connections) and GET /metrics (Prometheus) to anyone who can reach "
               "the server");
  app.add_option("--trusted-proxies", trusted_proxies,
                 "IP or CIDR entries, comma-separated: reverse proxies whose X-Forwarded-For names the client");
  // Bounds on what one connection, or all of them, may make the server hold.
  app.add_option("--max-queued-frames", server_config.max_queued_frames,
                 "frames waiting for one slow device; past this it is closed (1008) and resumes later")
      ->capture_default_str()
      ->check(CLI::Range(64, 1'000'000));
  app.add_option("--max-queued-bytes", server_config.max_queued_bytes, "the same bound in bytes")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1} << 16, std::size_t{1} << 32));
  app.add_option("--write-stall-timeout-ms", server_config.write_stall_timeout_ms,
                 "a device that takes no bytes for this long is dropped")
      ->capture_default_str()
      ->check(CLI::Range(100, 600'000));
  app.add_option("--frame-timeout-ms", server_config.frame_timeout_ms,
                 "once a frame starts to arrive, all of it must arrive within this")
      ->capture_default_str()
      ->check(CLI::Range(100, 600'000));
  app.add_option("--write-delay-ms", server_config.write_delay_ms,
                 "while an I/O thread is busy (see --write-pacing-above), a frame may wait this much longer so "
                 "that its connection writes several frames at once; 0 writes every frame at once")
      ->capture_default_str()
      ->check(CLI::Range(0, 1'000));
  app.add_option("--write-pacing-above", server_config.write_pacing_above,
                 "frames a second one I/O thread queues, above which writes are paced by --write-delay-ms; "
                 "0 never paces")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1'000'000'000}));
  app.add_option("--wake-pause-us", server_config.wake_pause_us,
                 "while an I/O thread is busy (see --wake-pacing-above), it pauses after each wake until this "
                 "has passed, so that the next wake finds more work at once; 0 never pauses")
      ->capture_default_str()
      ->check(CLI::Range(0, 100'000));
  app.add_option("--wake-pacing-above", server_config.wake_pacing_above,
                 "jobs a second one I/O thread runs (reads, writes, frames and acks handed to it), above which it "
                 "paces its wakes by --wake-pause-us; 0 never paces")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1'000'000'000}));
  app.add_option("--max-unacked-sends", server_config.max_unacked_sends,
                 "sends of one connection waiting for their ack; past this, overloaded")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--max-pending-sends", core_config.max_pending_sends,
                 "sends of all connections waiting to be stored; past this, overloaded")
      ->capture_default_str()
      ->check(CLI::Range(1, 10'000'000));
  app.add_option("--max-pending-send-wait-ms", core_config.max_pending_send_wait_ms,
                 "longest a send may wait to be stored; while the oldest waiting send has waited longer, "
                 "new sends are refused with overloaded")
      ->capture_default_str()
      ->check(CLI::Range(parley::TimeMs{1}, parley::TimeMs{3'600'000}));
  app.add_option("--max-connections", server_config.max_connections,
                 "client connections open at once (default: the open-file limit minus --fd-reserve)")
      ->check(CLI::Range(1, 10'000'000));
  app.add_option("--fd-reserve", server_config.fd_reserve,
                 "descriptors kept for the store and outgoing pushes, never given to clients")
      ->capture_default_str()
      ->check(CLI::Range(32, 1'000'000));
  app.add_option("--resume-budget", server_config.resume_budget,
                 "messages one resuming connection reads ahead across its chats")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  std::string port_file;
  app.add_option("--port-file", port_file,
                 "write the port actually bound here once listening (useful with --listen HOST:0)");
  app.add_option("--web-root", web_root,
                 "directory of the browser client served at / (default: ../share/parley/web beside the binary, "
                 "else the source tree's web/ for a binary in its build tree)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
  parley::ClusterOptions cluster;
  double zookeeper_session_s = 10;
  double drain_s = 10;
  app.add_option("--drain-seconds", drain_s,
                 "cluster mode: on SIGTERM, devices are asked to move to other nodes spread over this many seconds")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0))
      ->group("Cluster");
  double rebalance_s = 60;
  app.add_option("--rebalance-seconds", rebalance_s,
                 "cluster mode: a device connected this long to a node other than its home is asked to move home, "
                 "spread over as many seconds again (0: never)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0))
      ->group("Cluster");
  app.add_option("--zookeeper", cluster.zookeeper, "cluster mode: ZooKeeper HOST:PORT[,HOST:PORT...]")
      ->group("Cluster");
  app.add_option("--zookeeper-root", cluster.zookeeper_root, "cluster mode: the cluster's ZooKeeper path")
      ->capture_default_str()
      ->group("Cluster");
  app.add_option("--zookeeper-session", zookeeper_session_s,
                 "cluster mode: seconds after which ZooKeeper drops a node that died (its devices move then)")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 600.0))
      ->group("Cluster");
  app.add_option("--redis", cluster.redis, "cluster mode: Redis HOST:PORT")->group("Cluster");
  app.add_option("--mariadb", cluster.mariadb,
                 "cluster mode: mariadb://USER:PASSWORD@HOST:PORT/DATABASE for users, devices and chats")
      ->group("Cluster");
  app.add_option("--mariadb-shard", cluster.mariadb_shards,
                 "cluster mode: a message shard's mariadb:// URL, repeated in a fixed order (default: one shard in "
                 "--mariadb's database); never reorder or change the count once messages are stored")
      ->group("Cluster");
  app.add_option("--node-id", cluster.node_id, "cluster mode: this node's unique name ([A-Za-z0-9._-], 1-64)")
      ->group("Cluster");
  app.add_option("--advertise", cluster.advertise,
                 "cluster mode: the http(s) URL devices reach this node at (default: http://--listen)")
      ->group("Cluster");
  CLI11_PARSE(app, argc, argv);
  if (token_idle_expiry_s == 1) {
    std::cerr << "--token-idle-expiry must be 0 (never) or at least 2 seconds\n";
    return 2;
  }
  if (core_config.push_rescan_ms < core_config.push_head_poll_ms) {
    std::cerr << "--push-rescan-ms (" << core_config.push_rescan_ms << ") must be at least --push-head-poll-ms ("
              << core_config.push_head_poll_ms << ")\n";
    return 2;
  }
  cluster.zookeeper_session = std::chrono::milliseconds(std::llround(zookeeper_session_s * 1000));
  if (rebalance_s > 0 && rebalance_s < 2 * zookeeper_session_s) {
    // A device that came to this node while its home was dead must not be
    // sent back before the ring has dropped that node: ZooKeeper expires a
    // session between one and two timeouts after its last heartbeat.
    std::cerr << "--rebalance-seconds (" << rebalance_s << ") must be 0 or at least twice --zookeeper-session ("
              << zookeeper_session_s << ")\n";
    return 2;
  }
  cluster.rebalance_window = std::chrono::milliseconds(std::llround(rebalance_s * 1000));
  auto cluster_mode = parley::cluster_mode_requested(cluster);
  if (!cluster_mode) {
    std::cerr << cluster_mode.error().message << "\n";
    return 2;
  }

  spdlog::set_default_logger(spdlog::stderr_color_mt("parleyd"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(log_level));

  cluster.presence_timeout_ms = std::llround(presence_timeout_s * 1000);
  // Port 0: the system picks one (see --port-file).
  auto listen_at = parley::inet::parse_host_port(listen, parley::inet::PortZero::allowed);
  if (!listen_at.address) {
    std::cerr << "--listen: " << listen_at.error << "\n";
    return 2;
  }
  server_config.host = listen_at.address->host;
  server_config.port = listen_at.address->port;
  core_config.presence_timeout_ms = std::llround(presence_timeout_s * 1000);
  core_config.token_idle_expiry_ms = token_idle_expiry_s * 1000;
  if (token_idle_expiry_s > 0) {
    core_config.device_use_flush_ms = std::min(core_config.device_use_flush_ms, core_config.token_idle_expiry_ms / 4);
  }
  core_config.push_retry_initial_ms = push_retry_initial_ms;
  core_config.push_give_up_after_ms = std::llround(push_give_up_hours * 3'600'000);
  server_config.heartbeat_interval_ms = std::llround(heartbeat_interval_s * 1000);
  // Often enough for the timeout and for the offline grace of clean closes.
  core_config.presence_sweep_ms = std::clamp<std::int64_t>(
      std::min(core_config.presence_timeout_ms, std::max<std::int64_t>(core_config.offline_grace_ms, 400)) / 8, 50,
      1000);
  if (web_root.empty()) {
    auto found = parley::find_default_web_root({parley::running_executable(), PARLEY_BUILD_DIR, PARLEY_SOURCE_WEB_DIR});
    if (found) {
      web_root = found->string();
      spdlog::info("serving the web app from {} (--web-root overrides)", web_root);
    } else {
      spdlog::warn("no web app found next to parleyd; / answers 404 until --web-root names one");
    }
  } else if (std::error_code ec; !std::filesystem::is_directory(web_root, ec)) {
    std::cerr << "--web-root: " << web_root << " is not a directory\n";
    return 2;
  }
  server_config.web_root = web_root;
  auto push_allow = parley::inet::HostAllowList::parse(push_allow_hosts);
  if (!push_allow) {
    std::cerr << "--push-allow-hosts: " << push_allow.error().message << "\n";
    return 2;
  }
  server_config.push_allow = *push_allow;
  auto proxies = parley::inet::IpNetwork::parse_list(trusted_proxies);
  if (!proxies) {
    std::cerr << "--trusted-proxies: " << proxies.error().message << "\n";
    return 2;
  }
  server_config.trusted_proxies = *proxies;

  try {
    raise_open_file_limit();
    std::filesystem::create_directories(data_dir);
    std::unique_ptr<parley::RocksStore> store;
    std::unique_ptr<parley::ClusterNode> node;
    std::unique_ptr<parley::LocalEventBus> local_bus;
    if (*cluster_mode) {
      node = parley::ClusterNode::open(cluster);
    } else {
      store = parley::RocksStore::open(data_dir);
      server_config.store_stats = [&store] { return store->stats(); };
      local_bus = std::make_unique<parley::LocalEventBus>();
    }
    parley::DeviceBus& bus = node ? node->bus() : *local_bus;
    parley::SodiumCredentials credentials;
    SystemClock clock;
    // A cluster generating a key per node would bind each browser to one
    // node's key: there the key is only read from the file given.
    std::optional<parley::push::P256Key> vapid;
    if (!vapid_key_file.empty()) {
      vapid = parley::push::load_vapid_key(vapid_key_file, /*create=*/false);
    } else if (!*cluster_mode) {
      vapid = parley::push::load_vapid_key(std::filesystem::path(data_dir) / "vapid_private.pem", /*create=*/true);
    } else {
      spdlog::warn("Web Push is off: a cluster needs --vapid-key-file, the same key on every node");
    }
    if (vapid) server_config.vapid_public_key = parley::push::base64url_encode(vapid->public_point());
    if (!admin_token_file.empty()) {
      server_config.admin_token = parley::load_admin_token(admin_token_file, nullptr);
    } else if (!*cluster_mode) {
      server_config.admin_token = parley::load_admin_token(std::filesystem::path(data_dir) / "admin_token",
                                                           [&credentials] { return credentials.new_token(); });
      spdlog::info("admin API on; its token is in {}", (std::filesystem::path(data_dir) / "admin_token").string());
    } else {
      spdlog::info("admin API off: a cluster node needs --admin-token-file");
    }
    server_config.version = PARLEY_VERSION;
    parley::WebhookPushSender webhook_sender(server_config.push_allow);
    parley::WebPushSender webpush_sender(vapid ? &*vapid : nullptr,
                                         {.allow = server_config.push_allow, .subject = vapid_subject});
    parley::PushRouter push_sender(webhook_sender, webpush_sender);
    parley::Core core(core_config,
                      node ? parley::CorePorts{node->accounts(), node->chats(), node->messages(), node->push_jobs(),
                                               credentials, clock, bus, push_sender, &node->sequencer(),
                                               &node->presence(), &node->push_placement()}
                           : parley::CorePorts{*store, *store, *store, *store, credentials, clock, bus, push_sender});
    if (node) {
      server_config.dependencies = [&node] { return node->dependencies(); };
      server_config.home_of = [&node](const parley::UserId& user) { return node->home_of(user); };
      server_config.ring = [&node] { return node->ring(); };
      server_config.node_id = cluster.node_id;
      server_config.committed_head = [&node] { return node->fresh_committed_head(); };
      node->start_presence();
      node->start(core);
    }
    parley::Server server(server_config, core, bus);
    server.listen();
    webhook_sender.start();
    webpush_sender.start();
    core.start();
    if (node) {
      if (cluster.advertise.empty() && (server_config.host == "0.0.0.0" || server_config.host == "::")) {
        throw std::runtime_error("--listen on every address: give --advertise, the URL devices reach this node at");
      }
      node->join("http://" + parley::inet::format_host_port(server_config.host, server.port()));
    }

    boost::asio::signal_set signals(server.io_context(), SIGINT, SIGTERM);
    std::thread drain;
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      spdlog::info("signal {}: stopping", signal);
      // Draining blocks until the last batch is durable: not on an I/O thread.
      drain = std::thread([&] {
        // Out of the ring first, so that routes stop naming this node; then
        // its devices move, spread out, and nothing they sent is lost.
        if (node && !node->leave()) spdlog::warn("ZooKeeper did not confirm that this node left the ring");
        server.stop_accepting();
        if (node) node->move_devices(std::chrono::milliseconds(std::llround(drain_s * 1000)));
        core.pipeline.stop();
        server.stop(std::chrono::milliseconds(300));
      });
    });

    if (!port_file.empty()) write_port_file(port_file, server.port());
    spdlog::info("parleyd listening on {}:{} with data in {}", server_config.host, server.port(), data_dir);
    spdlog::info("push queue: lease {} ms, head poll {} ms, rescan {} ms", core_config.push_lease_ms,
                 core_config.push_head_poll_ms, core_config.push_rescan_ms);
    server.run();
    if (drain.joinable()) drain.join();
    core.stop();
    webhook_sender.stop();
    webpush_sender.stop();
    if (node) node->stop();
    spdlog::info("stopped");
  } catch (const std::exception& e) {
    spdlog::error("cannot start: {}", e.what());
    return 1;
  }
  return 0;
}

}  // namespace

// Anything that escapes start-up or shutdown ends the process with a message,
// never with std::terminate.
int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "parleyd: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "parleyd: unknown error\n";
  }
  return 1;
}
