#include "server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include <gtest/gtest.h>

#ifndef PARLEYD_PATH
#error "PARLEYD_PATH must be defined to the path of the built parleyd"
#endif

namespace parley::testing {

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind :0: " + std::string(std::strerror(errno)));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool eventually(const std::function<bool()>& pred, Ms timeout, Ms interval) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

ServerProcess::ServerProcess(std::vector<std::string> extra_flags) : extra_flags_(std::move(extra_flags)) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "parley-it-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
  }
  root_dir_ = tmpl;
  data_dir_ = root_dir_ + "/data";
  log_path_ = root_dir_ + "/parleyd.log";
  port_file_ = root_dir_ + "/port";
  std::filesystem::create_directories(data_dir_);
}

ServerProcess::~ServerProcess() {
  if (running()) kill9();
  if (::testing::Test::HasFailure()) {
    std::cerr << "---- parleyd log tail (" << log_path_ << ") ----\n" << log_tail() << "---- end of parleyd log ----\n";
  }
  if (std::getenv("PARLEY_KEEP_TEST_DIRS") == nullptr) {
    std::error_code ignored;
    std::filesystem::remove_all(root_dir_, ignored);
  }
}

void ServerProcess::start() {
  if (running()) throw std::runtime_error("parleyd already running");
  // Port 0: parleyd binds a free port itself and writes it to the port file,
  // so no other process can take the port between choosing and binding it.
  port_ = 0;
  std::filesystem::remove(port_file_);
  std::vector<std::string> args = {PARLEYD_PATH, "--listen",   host_ + ":0", "--port-file",
                                   port_file_,   "--data-dir", data_dir_};
  args.insert(args.end(), extra_flags_.begin(), extra_flags_.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  {
    std::ofstream log(log_path_, std::ios::app);
    log << "==== starting:";
    for (const auto& a : args) log << ' ' << a;
    log << '\n';
  }
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log_fd >= 0) {
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
    }
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    // Do not leak the test's sockets (e.g. a push receiver's listener).
    ::close_range(3, ~0U, 0);
    if (open_file_limit_ > 0) {
      rlimit limit{open_file_limit_, open_file_limit_};
      ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  pid_ = pid;
  wait_healthy();
}

void ServerProcess::wait_healthy() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::optional<client::HttpClient> http;
  for (;;) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("parleyd exited during start-up (status " + std::to_string(status) + "):\n" +
                               log_tail());
    }
    if (!http) {
      std::ifstream in(port_file_);
      unsigned port = 0;
      if (in >> port && port > 0 && port < 65536) {
        port_ = static_cast<std::uint16_t>(port);
        http.emplace(host_, port_, Ms(1000));
        http->set_keep_alive(false);
      }
    }
    try {
      if (http && http->get("/healthz").status == 200) return;
    } catch (const client::HttpError&) {
      // Not listening yet.
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      kill9();
      throw std::runtime_error("parleyd not healthy within 30 s:\n" + log_tail());
    }
    std::this_thread::sleep_for(Ms(20));
  }
}

bool ServerProcess::reap(Ms timeout, int* status) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    pid_t r = ::waitpid(pid_, status, WNOHANG);
    if (r == pid_ || (r < 0 && errno == ECHILD)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(Ms(10));
  }
}

void ServerProcess::kill9() {
  if (!running()) return;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    // It died on its own: say how, in its log, for the failure report.
    std::ofstream log(log_path_, std::ios::app);
    log << "==== parleyd had already exited: "
        << (WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                : "exit status " + std::to_string(WEXITSTATUS(status)))
        << '\n';
    pid_ = -1;
    return;
  }
  ::kill(pid_, SIGKILL);
  reap(Ms(30000), &status);
  pid_ = -1;
}

int ServerProcess::terminate() {
  if (!running()) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  if (!reap(Ms(20000), &status)) {
    kill9();
    return -1;
  }
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

void ServerProcess::restart() {
  if (running()) terminate();
  start();
}

std::string ServerProcess::log_tail(std::size_t lines) const {
  std::ifstream in(log_path_);
  std::deque<std::string> tail;
  std::string line;
  while (std::getline(in, line)) {
    tail.push_back(line);
    if (tail.size() > lines) tail.pop_front();
  }
  std::string out;
  for (const auto& l : tail) out += l + "\n";
  return out;
}

long ServerProcess::rss_kib() const {
  if (pid_ <= 0) return -1;
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace parley::testing
