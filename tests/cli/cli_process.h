#pragma once
// Runs the real `parley` binary (PARLEY_CLI_PATH) as a child process with its
// own environment (XDG_CONFIG_HOME above all), its stdin on a pipe and its
// stdout and stderr captured. run_cli() runs one command to completion;
// CliChild keeps a long-running one (watch, chat) and hands out its output
// line by line with deadlines. Nothing sleeps a fixed time.
//
// Used from the test thread only.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

namespace parley::testing {

using Ms = std::chrono::milliseconds;

struct CliResult {
  int exit_code = -1;  // 128+N when killed by signal N; -1 when it had to be killed after the deadline
  std::string out;
  std::string err;

  std::vector<std::string> lines() const;               // stdout, split
  std::vector<boost::json::object> json_lines() const;  // stdout, one object per line (fails the test otherwise)
  std::string trimmed() const;                          // stdout without the trailing newline
};

class CliChild {
 public:
  // Starts `parley args...` with `env` added to (and overriding) this process's environment.
  CliChild(const std::vector<std::string>& args, const std::map<std::string, std::string>& env);
  ~CliChild();  // SIGKILL if still running
  CliChild(const CliChild&) = delete;
  CliChild& operator=(const CliChild&) = delete;

  void write_stdin(const std::string& data);
  void close_stdin();
  void signal(int sig);

  // The next complete stdout line, waiting up to `timeout`.
  std::optional<std::string> next_line(Ms timeout);
  // Reads stdout lines until one satisfies `pred` (true) or the deadline
  // passes (false). Every line read is appended to `seen` when given.
  bool read_until(const std::function<bool(const std::string&)>& pred, Ms timeout,
                  std::vector<std::string>* seen = nullptr);
  // Waits until stderr contains `text`.
  bool wait_stderr(const std::string& text, Ms timeout);
  // Waits for the exit, reading the rest of the output; nullopt on timeout.
  std::optional<int> wait_exit(Ms timeout);

  const std::string& err() const { return err_; }
  // Everything read from stdout so far, complete lines included.
  const std::string& out_so_far() const { return out_all_; }

 private:
  // Reads whatever is ready within `timeout`; false when both streams are closed.
  bool pump(Ms timeout);

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::string out_buf_;  // not yet handed out as a line
  std::string out_all_;
  std::string err_;
  std::optional<int> exit_code_;
};

// Runs `parley args...` to completion (killing it after `timeout`).
CliResult run_cli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                  const std::string& stdin_data = "", Ms timeout = Ms(30000));

}  // namespace parley::testing
