#include "parleyd_cluster.h"

#include <algorithm>
#include <atomic>
#include <set>

#include <boost/json.hpp>

#include "poll_until.h"
#include "services.h"

namespace parley::testing {
namespace {

std::atomic<int> g_next_cluster{1};

// Percent-encodes everything but unreserved characters (RFC 3986).
std::string url_encode(const std::string& raw) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : raw) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string mariadb_url(const std::string& database) {
  const ClusterServices& svc = cluster_services();
  return "mariadb://" + url_encode(svc.mariadb_user()) + ":" + url_encode(svc.mariadb_password()) + "@" +
         svc.mariadb_host() + ":" + std::to_string(svc.mariadb_port()) + "/" + database;
}

}  // namespace

ParleydCluster::ParleydCluster(std::size_t nodes, std::vector<std::string> extra_flags)
    : root_("/parley-test-" + std::to_string(g_next_cluster++)), extra_flags_(std::move(extra_flags)) {
  for (std::size_t i = 0; i < nodes; ++i) {
    nodes_.push_back(std::make_unique<ServerProcess>(flags_for(i)));
    nodes_.back()->start();
  }
  if (!wait_ring_size(nodes)) throw std::runtime_error("the nodes did not all see each other in the ring");
}

ParleydCluster::~ParleydCluster() {
  for (auto& node : nodes_) {
    if (node->running()) node->kill9();
  }
}

void ParleydCluster::set_extra_flags(std::vector<std::string> flags) {
  extra_flags_ = std::move(flags);
  for (std::size_t i = 0; i < nodes_.size(); ++i) nodes_[i]->set_extra_flags(flags_for(i));
}

std::vector<std::string> ParleydCluster::flags_for(std::size_t i) const {
  const ClusterServices& svc = cluster_services();
  std::vector<std::string> flags;
  // parleyd takes each option once: the extra flags' value wins.
  for (const auto& [name, value] : {std::pair{"--max-frames-per-second", "100000"}, std::pair{"--threads", "2"},
                                    std::pair{"--login-address-burst", "0"},
                                    // No device is asked to move home unless a test says so.
                                    std::pair{"--rebalance-seconds", "0"}}) {
    if (std::find(extra_flags_.begin(), extra_flags_.end(), name) != extra_flags_.end()) continue;
    flags.insert(flags.end(), {name, value});
  }
  if (std::find(extra_flags_.begin(), extra_flags_.end(), "--zookeeper-session") == extra_flags_.end()) {
    flags.insert(flags.end(), {"--zookeeper-session", "4"});  // a killed node leaves the ring after this
  }
  flags.insert(flags.end(), {"--zookeeper", svc.zookeeper(), "--zookeeper-root", root_, "--redis", svc.redis(),
                             "--mariadb", mariadb_url(main_.name()), "--node-id", node_id(i)});
  for (const auto& shard : shards_.names()) {
    flags.push_back("--mariadb-shard");
    flags.push_back(mariadb_url(shard));
  }
  flags.insert(flags.end(), extra_flags_.begin(), extra_flags_.end());
  return flags;
}

std::string ParleydCluster::url(std::size_t i) const {
  return "http://" + nodes_.at(i)->host() + ":" + std::to_string(nodes_.at(i)->port());
}

client::Session ParleydCluster::new_session(std::size_t i, const std::string& name) {
  static std::atomic<int> next_user{1};
  const std::string email = name + "-" + std::to_string(next_user++) + "-" + root_.substr(1) + "@example.com";
  auto c = client(i);
  c.signup(email, "correct horse battery", name);
  return c.login(email, "correct horse battery", name + "-device");
}

client::Session ParleydCluster::on_node(const client::Session& s, std::size_t i) const {
  return client::Session(nodes_.at(i)->host(), nodes_.at(i)->port(), s.login());
}

std::string ParleydCluster::home_reported_by(std::size_t i, const client::Session& s) const {
  try {
    auto response = on_node(s, i).call("GET", "/v1/route");
    if (response.status != 200) return "";
    auto body = response.json.as_object();
    if (!body.contains("node_id")) return "";
    return std::string(body.at("node_id").as_string());
  } catch (const std::exception&) {
    return "";
  }
}

std::string ParleydCluster::agreed_home(const client::Session& s) const {
  std::string home;
  poll_until(
      [&] {
        std::set<std::string> answers;
        for (std::size_t i = 0; i < nodes_.size(); ++i) {
          if (nodes_[i]->running()) answers.insert(home_reported_by(i, s));
        }
        if (answers.size() != 1 || answers.begin()->empty()) return false;
        home = *answers.begin();
        return true;
      },
      std::chrono::seconds(30), std::chrono::milliseconds(50));
  return home;
}

bool ParleydCluster::wait_ring_size(std::size_t count) const {
  return poll_until(
      [&] {
        for (const auto& node : nodes_) {
          if (!node->running()) continue;
          try {
            auto response = node->http().get("/healthz");
            auto body = response.json.as_object();
            if (!body.contains("ring") || body.at("ring").as_array().size() != count) return false;
          } catch (const std::exception&) {
            return false;
          }
        }
        return true;
      },
      std::chrono::seconds(30), std::chrono::milliseconds(50));
}

}  // namespace parley::testing
