#include "cli/output.h"

#include <chrono>
#include <ctime>
#include <iostream>

#include <boost/json.hpp>

namespace parley::cli {

namespace json = boost::json;

Output::Output(bool json) : Output(json, std::cout, std::cerr) {}

Output::Output(bool json, std::ostream& out, std::ostream& err) : json_(json), out_(out), err_(err) {}

void Output::object(const json::object& o) {
  out_ << json::serialize(o) << '\n' << std::flush;
}

void Output::line(std::string_view text) {
  out_ << text << '\n' << std::flush;
}

void Output::status(std::string_view state, std::string_view text) {
  if (json_) {
    err_ << json::serialize(json::object{{"type", "status"}, {"state", state}, {"message", text}}) << '\n';
  } else {
    err_ << "parley: " << text << '\n';
  }
  err_ << std::flush;
}

void Output::warning(std::string_view code, std::string_view text) {
  if (json_) {
    err_ << json::serialize(json::object{{"type", "warning"}, {"code", code}, {"message", text}}) << '\n';
  } else {
    err_ << "parley: warning (" << code << "): " << text << '\n';
  }
  err_ << std::flush;
}

void Output::error(std::string_view code, std::string_view message, int exit_code, int http_status) {
  if (json_) {
    json::object o{{"type", "error"}, {"code", code}, {"message", message}, {"exit_code", exit_code}};
    if (http_status != 0) o["status"] = http_status;
    err_ << json::serialize(o) << '\n';
  } else {
    err_ << "parley: error (" << code << "): " << message << '\n';
  }
  err_ << std::flush;
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string format_time(std::int64_t ts_ms) {
  const std::time_t when = static_cast<std::time_t>(ts_ms / 1000);
  const std::time_t now = static_cast<std::time_t>(now_ms() / 1000);
  std::tm when_tm{};
  std::tm now_tm{};
  ::localtime_r(&when, &when_tm);
  ::localtime_r(&now, &now_tm);
  const bool today = when_tm.tm_year == now_tm.tm_year && when_tm.tm_yday == now_tm.tm_yday;
  char buf[32];
  std::strftime(buf, sizeof buf, today ? "%H:%M:%S" : "%Y-%m-%d %H:%M", &when_tm);
  return buf;
}

std::string indent_continuation(std::string_view text, std::string_view indent) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    out.push_back(c);
    if (c == '\n') out += indent;
  }
  return out;
}

}  // namespace parley::cli
