#include "cli/terminal.h"

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <iostream>
#include <iterator>

#include "cli/cli_context.h"

namespace parley::cli {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) {
  g_stop.store(true);
}

void strip_line_end(std::string& line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
}

// One line typed on the terminal with echo off; echo is restored even when
// reading fails.
std::string prompt_hidden(const std::string& prompt) {
  std::cerr << prompt << std::flush;
  termios saved{};
  const bool have_tty = ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (have_tty) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  if (have_tty) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  if (!got) throw usage_error("no password given");
  strip_line_end(line);
  return line;
}

}  // namespace

std::string read_password(const std::string& prompt, bool confirm) {
  if (::isatty(STDIN_FILENO)) {
    std::string password = prompt_hidden(prompt);
    if (confirm && prompt_hidden("Repeat password: ") != password) throw usage_error("the passwords differ");
    if (password.empty()) throw usage_error("empty password");
    return password;
  }
  std::string line;
  if (!std::getline(std::cin, line)) throw usage_error("no password given: use --password, or give it on stdin");
  strip_line_end(line);
  if (line.empty()) throw usage_error("empty password on stdin");
  return line;
}

std::string read_all_stdin() {
  std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty() && text.back() == '\r') text.pop_back();
  return text;
}

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking poll() returns at once
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

bool stop_requested() {
  return g_stop.load();
}

std::vector<std::string> LineReader::poll(std::chrono::milliseconds timeout) {
  std::vector<std::string> lines;
  if (eof_) return lines;
  pollfd pfd{fd_, POLLIN, 0};
  const int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  if (ready <= 0) return lines;  // timeout, or EINTR from a stop signal
  char buf[4096];
  const ssize_t n = ::read(fd_, buf, sizeof buf);
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return lines;
    eof_ = true;
  } else if (n == 0) {
    eof_ = true;
  } else {
    partial_.append(buf, static_cast<std::size_t>(n));
  }
  std::size_t start = 0;
  for (std::size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(partial_.substr(start, nl - start));
    strip_line_end(lines.back());
  }
  partial_.erase(0, start);
  if (eof_ && !partial_.empty()) {
    lines.push_back(std::move(partial_));
    partial_.clear();
  }
  return lines;
}

}  // namespace parley::cli
