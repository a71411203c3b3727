#pragma once
// Number and JSON formatting shared by parley-bench's reports. Boost.JSON
// 1.81 always prints doubles in exponent form ("5E3"); plain_json() prints
// them plainly ("5000", "0.866") and everything else as Boost.JSON does.
// Pure functions; any thread.

#include <string>

#include <boost/json/value.hpp>

namespace parley::bench {

std::string plain_json(const boost::json::value& v);

// v rounded to a multiple of `unit` (0.001: milliseconds to the microsecond).
double round_to(double v, double unit);

// v with `digits` decimals, for the text reports.
std::string fixed(double v, int digits = 2);

}  // namespace parley::bench
