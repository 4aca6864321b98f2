#include "http/http_date.hpp"

#include <gtest/gtest.h>

namespace casserole::http {
namespace {

using namespace std::chrono;

// 1994-11-06 08:49:37 UTC, the example instant of RFC 9110 §5.6.7.
constexpr system_clock::time_point kExample{sys_days{1994y / November / 6} + 8h + 49min + 37s};
constexpr system_clock::time_point kNow{sys_days{2024y / March / 1}};

TEST(ParseHttpDate, ImfFixdate) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), kExample);
}

TEST(ParseHttpDate, Rfc850) {
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", kNow), kExample);
}

TEST(ParseHttpDate, Asctime) {
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), kExample);
  EXPECT_EQ(parse_http_date("Sun Nov 06 08:49:37 1994"), kExample);
}

TEST(ParseHttpDate, OuterWhitespaceIsIgnored) {
  EXPECT_EQ(parse_http_date(" \tSun, 06 Nov 1994 08:49:37 GMT  "), kExample);
}

TEST(ParseHttpDate, Rfc850YearIsAtMostFiftyYearsAhead) {
  EXPECT_EQ(parse_http_date("Thursday, 01-Jan-70 00:00:00 GMT", kNow),
            system_clock::time_point{sys_days{2070y / January / 1}});
  EXPECT_EQ(parse_http_date("Monday, 01-Jan-75 00:00:00 GMT", kNow),
            system_clock::time_point{sys_days{1975y / January / 1}});
  EXPECT_EQ(parse_http_date("Saturday, 01-Jan-00 00:00:00 GMT", kNow),
            system_clock::time_point{sys_days{2000y / January / 1}});
  const system_clock::time_point in_2090{sys_days{2090y / June / 1}};
  EXPECT_EQ(parse_http_date("Sunday, 01-Jan-10 00:00:00 GMT", in_2090),
            system_clock::time_point{sys_days{2110y / January / 1}});
}

TEST(ParseHttpDate, LeapDaysAndLeapSeconds) {
  EXPECT_EQ(parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT"),
            system_clock::time_point{sys_days{2024y / February / 29}});
  EXPECT_EQ(parse_http_date("Tue, 29 Feb 2000 00:00:00 GMT"),
            system_clock::time_point{sys_days{2000y / February / 29}});
  EXPECT_EQ(parse_http_date("Sat, 31 Dec 2016 23:59:60 GMT"),
            system_clock::time_point{sys_days{2017y / January / 1}});
}

TEST(ParseHttpDate, BeforeTheEpoch) {
  EXPECT_EQ(parse_http_date("Wed, 31 Dec 1969 23:59:59 GMT"), system_clock::time_point{-1s});
}

TEST(ParseHttpDate, FarFutureSaturates) {
  const std::optional<system_clock::time_point> far =
      parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT");
  ASSERT_TRUE(far);
  EXPECT_EQ(floor<seconds>(*far), floor<seconds>(system_clock::time_point::max()));
  const std::optional<system_clock::time_point> early =
      parse_http_date("Mon, 01 Jan 0001 00:00:00 GMT");
  ASSERT_TRUE(early);
  EXPECT_EQ(ceil<seconds>(*early), ceil<seconds>(system_clock::time_point::min()));
}

TEST(ParseHttpDate, RejectsInvalidDates) {
  for (std::string_view value : {
           "",
           "Sun, 06 Nov 1994 08:49:37",
           "Sun, 06 Nov 1994 08:49:37 UTC",
           "Sun, 06 Nov 1994 08:49:37 GMT x",
           "Sun, 6 Nov 1994 08:49:37 GMT",
           "sun, 06 Nov 1994 08:49:37 GMT",
           "Sun, 06 nov 1994 08:49:37 GMT",
           "Sun 06 Nov 1994 08:49:37 GMT",
           "Sun,  06 Nov 1994 08:49:37 GMT",
           "Xyz, 06 Nov 1994 08:49:37 GMT",
           "Sun, 06 Nov 94 08:49:37 GMT",
           "Sun, 31 Nov 1994 08:49:37 GMT",
           "Sun, 00 Nov 1994 08:49:37 GMT",
           "Sun, 29 Feb 1900 08:49:37 GMT",
           "Sun, 06 Nov 1994 24:00:00 GMT",
           "Sun, 06 Nov 1994 08:60:00 GMT",
           "Sun, 06 Nov 1994 08:49:61 GMT",
           "Sun, 06 Nov 1994 8:49:37 GMT",
           "Sun, 06 Nov 1994 08:49:3 GMT",
           "Sun, 06 Nov 1994 08-49-37 GMT",
           "Sun, 06 Nov +994 08:49:37 GMT",
           "Sunday, 06-Nov-1994 08:49:37 GMT",
           "Sun, 06-Nov-94 08:49:37 GMT",
           "Sunday, 06 Nov 94 08:49:37 GMT",
           "Sun Nov 6 08:49:37 1994",
           "Sun Nov  6 08:49:37 1994 GMT",
           "Sun Nov   6 08:49:37 1994",
           "Sun Nov 31 08:49:37 1994",
           "1994-11-06T08:49:37Z",
           "784111777",
       }) {
    EXPECT_EQ(parse_http_date(value, kNow), std::nullopt) << value;
  }
}

TEST(FormatHttpDate, ImfFixdate) {
  EXPECT_EQ(format_http_date(kExample), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(format_http_date(system_clock::time_point{}), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(format_http_date(system_clock::time_point{-1s}), "Wed, 31 Dec 1969 23:59:59 GMT");
}

TEST(FormatHttpDate, TruncatesToWholeSeconds) {
  EXPECT_EQ(format_http_date(kExample + 999ms), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(FormatHttpDate, RoundTrips) {
  for (system_clock::time_point t :
       {kExample, kNow, system_clock::time_point{sys_days{2038y / January / 19} + 3h + 14min + 8s},
        system_clock::time_point{sys_days{2000y / February / 29} + 23h + 59min + 59s}}) {
    EXPECT_EQ(parse_http_date(format_http_date(t)), t);
  }
}

}  // namespace
}  // namespace casserole::http
