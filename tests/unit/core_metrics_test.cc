// Metrics: fixed-bucket histograms and the Prometheus text exposition.
#include <gtest/gtest.h>

#include <limits>
#include <thread>

#include "core/metrics.h"

namespace parley {
namespace {

TEST(Histogram, CountsEachValueInTheFirstBucketItFits) {
  Histogram h({1, 5, 10});
  for (double v : {0.5, 1.0, 1.5, 5.0, 7.0, 10.0, 11.0, -3.0}) h.observe(v);
  EXPECT_EQ(h.cumulative(), (std::vector<std::uint64_t>{3, 5, 7, 8}));  // le 1 holds 0.5, 1 and -3
  EXPECT_EQ(h.count(), 8u);
  EXPECT_DOUBLE_EQ(h.sum(), 0.5 + 1 + 1.5 + 5 + 7 + 10 + 11);  // negatives count, but add nothing
}

TEST(Histogram, AValueSeenManyTimesCountsAsThatManyObservations) {
  Histogram once({1, 5}), many({1, 5});
  for (int i = 0; i < 3; ++i) once.observe(2.5);
  many.observe(2.5, 3);
  many.observe(7, 0);  // seen no times: nothing
  EXPECT_EQ(many.cumulative(), once.cumulative());
  EXPECT_EQ(many.cumulative(), (std::vector<std::uint64_t>{0, 3, 3}));
  EXPECT_DOUBLE_EQ(many.sum(), once.sum());
  EXPECT_EQ(many.count(), 3u);
}

TEST(Histogram, RefusesBoundsThatAreNotAscending) {
  EXPECT_THROW(Histogram({}), std::logic_error);
  EXPECT_THROW(Histogram({2, 1}), std::logic_error);
  EXPECT_THROW(Histogram({1, 1}), std::logic_error);
  EXPECT_THROW(Histogram(std::vector<double>(25, 1)), std::logic_error);
}

TEST(Histogram, ConcurrentObservationsAreAllCounted) {
  Histogram h({0.001, 0.01});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) h.observe(0.005);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(h.cumulative(), (std::vector<std::uint64_t>{0, 40'000, 40'000}));
  EXPECT_NEAR(h.sum(), 200.0, 1e-6);
}

TEST(MetricsText, WritesPrometheusTextFormat) {
  MetricsText text;
  Counter c;
  c.add(3);
  text.counter("parley_things_total", "Things.", c.value());
  text.gauge("parley_level", "A level.", 2.5);
  text.gauge_family("parley_up", "Up or not.", "dependency", {{"redis", 1}, {"a\"b\\c\nd", 0}});
  Histogram h({0.5, 1});
  h.observe(0.25);
  h.observe(2);
  text.histogram("parley_seconds", "Seconds.", h);
  EXPECT_EQ(text.text(),
            "# HELP parley_things_total Things.\n"
            "# TYPE parley_things_total counter\n"
            "parley_things_total 3\n"
            "# HELP parley_level A level.\n"
            "# TYPE parley_level gauge\n"
            "parley_level 2.5\n"
            "# HELP parley_up Up or not.\n"
            "# TYPE parley_up gauge\n"
            "parley_up{dependency=\"redis\"} 1\n"
            "parley_up{dependency=\"a\\\"b\\\\c\\nd\"} 0\n"
            "# HELP parley_seconds Seconds.\n"
            "# TYPE parley_seconds histogram\n"
            "parley_seconds_bucket{le=\"0.5\"} 1\n"
            "parley_seconds_bucket{le=\"1\"} 1\n"
            "parley_seconds_bucket{le=\"+Inf\"} 2\n"
            "parley_seconds_sum 2.25\n"
            "parley_seconds_count 2\n");
}

TEST(MetricsText, FormatsNumbersAsPrometheusDoes) {
  EXPECT_EQ(format_metric_value(0), "0");
  EXPECT_EQ(format_metric_value(12345678901234), "12345678901234");
  EXPECT_EQ(format_metric_value(0.001), "0.001");
  EXPECT_EQ(format_metric_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_metric_value(-std::numeric_limits<double>::infinity()), "-Inf");
}

}  // namespace
}  // namespace parley
