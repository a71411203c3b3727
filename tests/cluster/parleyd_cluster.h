#pragma once
// A cluster of real parleyd processes on the binary's services (services.h):
// N nodes on free loopback ports, each with its own data dir, sharing fresh
// MariaDB databases (accounts and two message shards), a fresh ZooKeeper
// root and a Redis channel prefix of their own, so that clusters of
// different tests never meet. Test thread only.

#include <memory>
#include <string>
#include <vector>

#include "integration/server_process.h"
#include "lib/session.h"
#include "scratch_database.h"

namespace parley::testing {

class ParleydCluster {
 public:
  // Starts `nodes` nodes and waits until every node's ring holds all of them.
  // `extra_flags` come after the cluster's own and the tests' defaults (the
  // frame and login limits lifted, two threads, no rebalancing); a default
  // they name again is left out (so is the session timeout of 4 s,
  // `--zookeeper-session`).
  explicit ParleydCluster(std::size_t nodes, std::vector<std::string> extra_flags = {});
  ~ParleydCluster();

  std::size_t size() const { return nodes_.size(); }
  ServerProcess& node(std::size_t i) { return *nodes_.at(i); }
  std::string node_id(std::size_t i) const { return "n" + std::to_string(i); }
  std::string url(std::size_t i) const;
  client::Client client(std::size_t i) const { return nodes_.at(i)->client(); }

  // Flags for every later start() of a node, replacing the constructor's
  // extra flags.
  void set_extra_flags(std::vector<std::string> flags);

  // A new user, signed up and logged in on node `i`.
  client::Session new_session(std::size_t i, const std::string& name);
  // The same device (token) talking to node `i`.
  client::Session on_node(const client::Session& s, std::size_t i) const;

  // The ring as node `i` reports it for `session`'s user (GET /v1/route): the
  // home node's id, or "" when it does not answer.
  std::string home_reported_by(std::size_t i, const client::Session& s) const;
  // Waits until every running node names the same home for `s`; returns it.
  std::string agreed_home(const client::Session& s) const;
  // Polls every running node until each reports `count` nodes in its ring.
  bool wait_ring_size(std::size_t count) const;

 private:
  std::vector<std::string> flags_for(std::size_t i) const;

  ScratchDatabase main_;
  ScratchShards shards_{2};
  std::string root_;
  std::vector<std::string> extra_flags_;
  std::vector<std::unique_ptr<ServerProcess>> nodes_;
};

}  // namespace parley::testing
