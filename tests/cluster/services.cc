#include "services.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <vector>

#ifndef PARLEY_SCRIPTS_DIR
#error "PARLEY_SCRIPTS_DIR must be defined to the path of the source tree's scripts/"
#endif

extern char** environ;

namespace parley::testing {
namespace {

std::string tail_of(const std::string& path, std::size_t lines) {
  std::ifstream in(path);
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(std::move(line));
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (const auto& line : last) out += line + "\n";
  return out;
}

std::string log_path(const std::string& dir, const std::string& service) {
  return dir + "/" + service + "/" + service + ".log";
}

std::unique_ptr<ClusterServices> g_services;

}  // namespace

ClusterServices::ClusterServices() {
  // Short: MariaDB's socket lives under it and a socket path holds 107 bytes.
  std::string tmpl = (std::filesystem::temp_directory_path() / "parley-svc-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
  }
  dir_ = tmpl;
  up_ = true;
  try {
    run("up");
  } catch (...) {
    // Whatever did start must not outlive the failure.
    try {
      run("down");
    } catch (...) {
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    throw;
  }
}

ClusterServices::~ClusterServices() {
  if (::testing::UnitTest::GetInstance()->Failed()) {
    for (const char* service : {kZooKeeper, kRedis, kMariaDb}) {
      std::cerr << "---- " << service << " log tail (" << log_path(dir_, service) << ") ----\n"
                << log_tail(service) << "---- end of " << service << " log ----\n";
    }
  }
  try {
    down();
  } catch (const std::exception& e) {
    // Nothing more to do in a destructor than say so: the script already
    // KILLs what ignores TERM.
    std::cerr << "services.sh down failed: " << e.what() << "\n";
  }
  if (std::getenv("PARLEY_KEEP_TEST_DIRS") == nullptr) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

void ClusterServices::start(const std::string& service) {
  run("up", service);
}

void ClusterServices::stop(const std::string& service) {
  run("down", service);
}

void ClusterServices::restart(const std::string& service) {
  stop(service);
  start(service);
}

void ClusterServices::down() {
  if (!up_) return;
  run("down");
  up_ = false;
}

void ClusterServices::run(const std::string& command, const std::string& service) {
  const std::string script = std::string(PARLEY_SCRIPTS_DIR) + "/services.sh";
  const std::string output = dir_ + "/services.sh.log";
  std::vector<std::string> args{script, command, dir_};
  if (!service.empty()) args.push_back(service);
  // The script's watchdog brings the services down if this process dies
  // without running the destructor (a crash, a ctest timeout).
  std::vector<std::string> env{"PARLEY_SERVICES_OWNER=" + std::to_string(::getpid())};
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "PARLEY_SERVICES_OWNER=", 22) != 0) env.emplace_back(*e);
  }
  // Everything the child needs is built before fork: the test may have
  // threads, so the child only calls async-signal-safe functions.
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const int out = ::open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) throw std::runtime_error("open " + output + ": " + std::strerror(errno));

  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out);
    throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
  }
  if (pid == 0) {
    if (::dup2(out, STDOUT_FILENO) < 0 || ::dup2(out, STDERR_FILENO) < 0) _exit(126);
    ::execve(script.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  ::close(out);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid: " + std::string(std::strerror(errno)));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("services.sh " + command + " " + dir_ + " " + service + " failed:\n" +
                             tail_of(output, 40));
  }
  read_env();
}

void ClusterServices::read_env() {
  std::ifstream in(dir_ + "/services.env");
  if (!in) throw std::runtime_error("no services.env in " + dir_);
  env_.clear();
  // KEY=VALUE lines; services.sh writes values without quoting or spaces.
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    env_[line.substr(0, eq)] = line.substr(eq + 1);
  }
}

std::string ClusterServices::value(const std::string& key) const {
  const auto it = env_.find(key);
  if (it == env_.end()) throw std::runtime_error(key + " missing from " + dir_ + "/services.env");
  return it->second;
}

std::uint16_t ClusterServices::port_of(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("not HOST:PORT: " + address);
  return static_cast<std::uint16_t>(std::stoul(address.substr(colon + 1)));
}

std::uint16_t ClusterServices::mariadb_port() const {
  return static_cast<std::uint16_t>(std::stoul(value("PARLEY_MARIADB_PORT")));
}

pid_t ClusterServices::pid(const std::string& service) const {
  std::string key = "PARLEY_" + service + "_PID";
  for (auto& c : key) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::string pid = value(key);
  return pid.empty() ? 0 : static_cast<pid_t>(std::stol(pid));
}

std::string ClusterServices::log_tail(const std::string& service, std::size_t lines) const {
  return tail_of(log_path(dir_, service), lines);
}

void ClusterServicesEnvironment::SetUp() {
  // A fatal failure here skips every test (no cluster test can run without
  // its engines) and reports the script's output.
  try {
    g_services = std::make_unique<ClusterServices>();
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
}

void ClusterServicesEnvironment::TearDown() {
  g_services.reset();
}

ClusterServices& cluster_services() {
  if (g_services == nullptr) throw std::logic_error("cluster_services() outside ClusterServicesEnvironment");
  return *g_services;
}

}  // namespace parley::testing
