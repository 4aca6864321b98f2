#include "metrics/exposition.hpp"

#include <gtest/gtest.h>

namespace casserole::metrics {
namespace {

using namespace std::chrono_literals;

TEST(Exposition, AFamilyIsHelpTypeAndItsSamples) {
  Exposition out;
  out.family("casserole_things_total", Exposition::Type::counter, "Things.");
  out.sample({}, std::uint64_t{3});
  out.sample({{"kind", "a"}, {"class", "2xx"}}, std::uint64_t{4});
  EXPECT_EQ(out.text(),
            "# HELP casserole_things_total Things.\n"
            "# TYPE casserole_things_total counter\n"
            "casserole_things_total 3\n"
            "casserole_things_total{kind=\"a\",class=\"2xx\"} 4\n");
}

TEST(Exposition, LabelValuesAreEscaped) {
  Exposition out;
  out.family("casserole_x", Exposition::Type::gauge, "X.");
  out.sample({{"peer", "a\"b\\c\nd"}}, 1.5);
  EXPECT_EQ(out.text().substr(out.text().find("casserole_x{")),
            "casserole_x{peer=\"a\\\"b\\\\c\\nd\"} 1.5\n");
}

TEST(Exposition, HistogramBucketsAreCumulativeAndEndAtInf) {
  Histogram histogram;
  histogram.observe(50us);  // first bucket
  histogram.observe(1ms);   // exactly on a bound: le is inclusive
  histogram.observe(20s);   // above every bound
  Exposition out;
  out.family("casserole_t_seconds", Exposition::Type::histogram, "T.");
  out.histogram({}, histogram);
  const std::string& text = out.text();
  EXPECT_NE(text.find("casserole_t_seconds_bucket{le=\"1e-04\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("casserole_t_seconds_bucket{le=\"5e-04\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("casserole_t_seconds_bucket{le=\"0.001\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("casserole_t_seconds_bucket{le=\"10\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("casserole_t_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("casserole_t_seconds_count 3\n"), std::string::npos);
  EXPECT_NEAR(histogram.sum_seconds(), 20.00105, 1e-9);
}

}  // namespace
}  // namespace casserole::metrics
