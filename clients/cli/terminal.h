#pragma once
// The CLI's dealings with its terminal and process: reading a password
// without echo, reading stdin line by line without blocking the live loops,
// and turning SIGINT/SIGTERM into a flag those loops poll.
//
// Main thread only, except stop_requested(), which any thread may read.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace parley::cli {

// A password: prompted on the terminal without echo when stdin is a
// terminal (twice when `confirm`), else the first line of stdin. Throws
// CliError (usage) when none is given or the two entries differ.
std::string read_password(const std::string& prompt, bool confirm);

// All of stdin, minus one trailing newline (the text of `parley send`).
std::string read_all_stdin();

// Installs SIGINT and SIGTERM handlers that only set a flag: the live loops
// poll it and then leave cleanly (close the WebSocket, keep the cursor).
void install_stop_handlers();
bool stop_requested();

// Lines from a file descriptor as they arrive, without blocking longer than
// asked, so one thread can serve both the keyboard and the WebSocket.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}

  // Complete lines available within `timeout` (without their newline). At
  // end of input a last unterminated line is returned too; then eof().
  std::vector<std::string> poll(std::chrono::milliseconds timeout);
  bool eof() const { return eof_; }

 private:
  int fd_;
  bool eof_ = false;
  std::string partial_;
};

}  // namespace parley::cli
