#pragma once
// A real parleyd child process on a free loopback port with a temp data dir.
//
// start() forks/execs PARLEYD_PATH and polls GET /healthz until 200 (with a
// deadline); kill9()/terminate() stop it; restart() starts it again on the
// SAME data dir (on a fresh free port: clients must be re-created with
// port()). The temp dir (data + log) is removed by the destructor; when the
// current test has failed, the tail of parleyd's log is printed first.
// Used from the test thread only.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "lib/session.h"

namespace parley::testing {

using Ms = std::chrono::milliseconds;

// A port that was free a moment ago on 127.0.0.1 (bind :0, read, close).
// Only for listeners of the tests' own (a webhook receiver's target that must
// refuse); parleyd binds port 0 itself.
std::uint16_t free_port();

// Polls `pred` every `interval` until it is true or `timeout` passed.
bool eventually(const std::function<bool()>& pred, Ms timeout = Ms(10000), Ms interval = Ms(20));

class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> extra_flags = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts parleyd and waits until /healthz answers 200. Throws
  // std::runtime_error (with the log tail) when it exits or the deadline passes.
  void start();
  // SIGKILL and reap.
  void kill9();
  // SIGTERM; returns the exit status (0 expected), or -1 when it had to be
  // killed after the deadline, or 128+signal when a signal ended it.
  int terminate();
  // Stops it if running (SIGTERM) and starts again on the same data dir.
  void restart();

  // Flags for the next start() or restart().
  void set_extra_flags(std::vector<std::string> flags) { extra_flags_ = std::move(flags); }
  // Starts parleyd with this open-file limit (soft and hard), as a machine
  // with few descriptors would. 0: inherit the test's.
  void set_open_file_limit(unsigned long limit) { open_file_limit_ = limit; }

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // Resident memory of the running parleyd, in KiB (VmRSS), or -1.
  long rss_kib() const;
  const std::string& host() const { return host_; }
  std::uint16_t port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string log_tail(std::size_t lines = 60) const;
  const std::string& log_path() const { return log_path_; }

  client::Client client() const { return client::Client(host_, port_); }
  client::HttpClient http() const { return client::HttpClient(host_, port_); }

 private:
  void wait_healthy();
  // waitpid with a deadline; true when the child was reaped.
  bool reap(Ms timeout, int* status);

  std::vector<std::string> extra_flags_;
  std::string root_dir_;
  std::string data_dir_;
  std::string log_path_;
  std::string port_file_;  // parleyd writes the port it bound here
  std::string host_ = "127.0.0.1";
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  unsigned long open_file_limit_ = 0;
};

}  // namespace parley::testing
