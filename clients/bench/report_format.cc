#include "report_format.h"

#include <cmath>
#include <cstdio>

#include <boost/json.hpp>

namespace parley::bench {
namespace json = boost::json;
namespace {

void write_plain(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += json::serialize(json::string(key));
        out += ':';
        write_plain(out, item);
      }
      out += '}';
      break;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write_plain(out, item);
      }
      out += ']';
      break;
    }
    case json::kind::double_: {
      double d = v.get_double();
      if (!std::isfinite(d)) {
        out += "null";
      } else {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.12g", d);
        out += buf;
      }
      break;
    }
    default:
      out += json::serialize(v);
  }
}

}  // namespace

std::string plain_json(const json::value& v) {
  std::string out;
  write_plain(out, v);
  return out;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

double round_to(double v, double unit) {
  return static_cast<double>(static_cast<long long>(v / unit + 0.5)) * unit;
}

}  // namespace parley::bench
