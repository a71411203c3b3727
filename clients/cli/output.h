#pragma once
// Where `parley` writes. stdout carries the command's result and live events
// only: human lines, or with --json exactly one JSON object per line. stderr
// carries connection status, warnings and the final error (as JSON objects
// too with --json, so a script can parse both streams). Every line is flushed
// at once, so a pipe reader sees it immediately.
//
// Main thread only.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace parley::cli {

class Output {
 public:
  explicit Output(bool json);
  Output(bool json, std::ostream& out, std::ostream& err);

  bool json() const { return json_; }

  // One JSON object as one line on stdout.
  void object(const boost::json::object& o);
  // One human line on stdout (a trailing newline is added).
  void line(std::string_view text);
  // Connection state on stderr: "connected", "disconnected", "reconnecting".
  void status(std::string_view state, std::string_view text);
  // Something failed but the command goes on (a refused send in `chat`).
  void warning(std::string_view code, std::string_view text);
  // The error that ends the command.
  void error(std::string_view code, std::string_view message, int exit_code, int http_status = 0);

 private:
  bool json_;
  std::ostream& out_;
  std::ostream& err_;
};

// Milliseconds since the epoch, now.
std::int64_t now_ms();
// Local time of `ts_ms`: "14:03:07" when it is today, "2026-11-28 14:03" otherwise.
std::string format_time(std::int64_t ts_ms);
// Indents every line after the first, so a multi-line text stays readable.
std::string indent_continuation(std::string_view text, std::string_view indent = "    ");

}  // namespace parley::cli
