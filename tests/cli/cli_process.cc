#include "cli_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#ifndef PARLEY_CLI_PATH
#error "PARLEY_CLI_PATH must be defined to the path of the built parley binary"
#endif

extern char** environ;

namespace parley::testing {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

Ms left_until(Clock::time_point deadline) {
  return std::max(Ms(0), std::chrono::duration_cast<Ms>(deadline - Clock::now()));
}

}  // namespace

std::vector<std::string> CliResult::lines() const {
  std::vector<std::string> out;
  std::istringstream in(this->out);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<json::object> CliResult::json_lines() const {
  std::vector<json::object> out;
  for (const auto& line : lines()) {
    json::error_code ec;
    json::value v = json::parse(line, ec);
    EXPECT_FALSE(ec) << "not JSON: " << line;
    EXPECT_TRUE(v.is_object()) << "not a JSON object: " << line;
    if (!ec && v.is_object()) out.push_back(v.as_object());
  }
  return out;
}

std::string CliResult::trimmed() const {
  std::string s = out;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

CliChild::CliChild(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  ::signal(SIGPIPE, SIG_IGN);  // a child that exits early must not kill the test with its stdin pipe
  // Build argv and envp before fork: the child may only make async-signal-safe calls.
  std::vector<std::string> argv_store = {PARLEY_CLI_PATH};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    const std::string key = entry.substr(0, entry.find('='));
    if (!env.contains(key)) env_store.push_back(entry);
  }
  for (const auto& [k, v] : env) env_store.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);

  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe: " + std::string(std::strerror(errno)));
  }
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    ::dup2(in_pipe[0], STDIN_FILENO);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  stdin_fd_ = in_pipe[1];
  stdout_fd_ = out_pipe[0];
  stderr_fd_ = err_pipe[0];
}

CliChild::~CliChild() {
  if (!exit_code_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  close_fd(stdin_fd_);
  close_fd(stdout_fd_);
  close_fd(stderr_fd_);
}

void CliChild::write_stdin(const std::string& data) {
  for (std::size_t done = 0; done < data.size();) {
    const ssize_t n = ::write(stdin_fd_, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("write to parley's stdin: " + std::string(std::strerror(errno)));
    done += static_cast<std::size_t>(n);
  }
}

void CliChild::close_stdin() {
  close_fd(stdin_fd_);
}

void CliChild::signal(int sig) {
  if (!exit_code_) ::kill(pid_, sig);
}

bool CliChild::pump(Ms timeout) {
  pollfd fds[2] = {{stdout_fd_, POLLIN, 0}, {stderr_fd_, POLLIN, 0}};
  if (stdout_fd_ < 0 && stderr_fd_ < 0) return false;
  const int ready = ::poll(fds, 2, static_cast<int>(timeout.count()));
  if (ready <= 0) return true;
  char buf[8192];
  for (int i = 0; i < 2; ++i) {
    if (fds[i].fd < 0 || fds[i].revents == 0) continue;
    const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
    if (n <= 0) {
      close_fd(i == 0 ? stdout_fd_ : stderr_fd_);
      continue;
    }
    if (i == 0) {
      out_buf_.append(buf, static_cast<std::size_t>(n));
      out_all_.append(buf, static_cast<std::size_t>(n));
    } else {
      err_.append(buf, static_cast<std::size_t>(n));
    }
  }
  return true;
}

std::optional<std::string> CliChild::next_line(Ms timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (const auto nl = out_buf_.find('\n'); nl != std::string::npos) {
      std::string line = out_buf_.substr(0, nl);
      out_buf_.erase(0, nl + 1);
      return line;
    }
    if (Clock::now() >= deadline || !pump(std::min(left_until(deadline), Ms(100)))) return std::nullopt;
    if (stdout_fd_ < 0 && out_buf_.find('\n') == std::string::npos) return std::nullopt;
  }
}

bool CliChild::read_until(const std::function<bool(const std::string&)>& pred, Ms timeout,
                          std::vector<std::string>* seen) {
  const auto deadline = Clock::now() + timeout;
  while (auto line = next_line(left_until(deadline))) {
    if (seen != nullptr) seen->push_back(*line);
    if (pred(*line)) return true;
  }
  return false;
}

bool CliChild::wait_stderr(const std::string& text, Ms timeout) {
  const auto deadline = Clock::now() + timeout;
  while (err_.find(text) == std::string::npos) {
    if (Clock::now() >= deadline || !pump(std::min(left_until(deadline), Ms(100)))) {
      return err_.find(text) != std::string::npos;
    }
  }
  return true;
}

std::optional<int> CliChild::wait_exit(Ms timeout) {
  if (exit_code_) return exit_code_;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (!pump(Ms(20))) std::this_thread::sleep_for(Ms(10));  // both pipes closed: poll the exit
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      // Collect what is still in the pipes.
      while (stdout_fd_ >= 0 || stderr_fd_ >= 0) {
        if (!pump(Ms(100)) || Clock::now() >= deadline + Ms(2000)) break;
      }
      exit_code_ = decode_status(status);
      return exit_code_;
    }
    if (Clock::now() >= deadline) return std::nullopt;
  }
}

CliResult run_cli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                  const std::string& stdin_data, Ms timeout) {
  CliChild child(args, env);
  try {
    if (!stdin_data.empty()) child.write_stdin(stdin_data);
  } catch (const std::runtime_error&) {
    // It exited (or closed stdin) without reading all of it; its output says why.
  }
  child.close_stdin();
  CliResult result;
  if (auto code = child.wait_exit(timeout)) {
    result.exit_code = *code;
  } else {
    child.signal(SIGKILL);
    child.wait_exit(Ms(5000));
    result.exit_code = -1;
    ADD_FAILURE() << "parley did not finish within " << timeout.count() << " ms";
  }
  result.out = child.out_so_far();
  result.err = child.err();
  return result;
}

}  // namespace parley::testing
