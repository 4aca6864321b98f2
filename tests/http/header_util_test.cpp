#include "http/header_util.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace casserole::http {
namespace {

using Views = std::vector<std::string_view>;

TEST(Iequals, IgnoresAsciiCaseOnly) {
  EXPECT_TRUE(iequals("Content-Length", "content-LENGTH"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("abc", "abcd"));
  EXPECT_FALSE(iequals("a", "b"));
  EXPECT_FALSE(iequals("[", "{"));
  EXPECT_FALSE(iequals("\xc3\x89", "\xc3\xa9"));
}

TEST(TrimOws, SpacesAndTabsOnly) {
  EXPECT_EQ(trim_ows(" \t a b \t "), "a b");
  EXPECT_EQ(trim_ows("\r\na\n"), "\r\na\n");
  EXPECT_EQ(trim_ows("   "), "");
}

TEST(SplitList, TrimsAndSkipsEmptyElements) {
  EXPECT_EQ(split_list(" a ,b,\t,, c\t"), (Views{"a", "b", "c"}));
  EXPECT_EQ(split_list(""), Views{});
  EXPECT_EQ(split_list(" , ,"), Views{});
  EXPECT_EQ(split_list("a b"), (Views{"a b"}));
}

TEST(SplitList, RespectsQuotedStrings) {
  EXPECT_EQ(split_list("a=\"x, y\", b"), (Views{"a=\"x, y\"", "b"}));
  EXPECT_EQ(split_list("a=\"x\\\", y\", b"), (Views{"a=\"x\\\", y\"", "b"}));
  EXPECT_EQ(split_list("a=\"unterminated, b"), (Views{"a=\"unterminated, b"}));
  EXPECT_EQ(split_list("a=\"x\\"), (Views{"a=\"x\\"}));
}

TEST(ListContains, CaseInsensitiveWholeElements) {
  EXPECT_TRUE(list_contains("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(list_contains("close", "Close"));
  EXPECT_FALSE(list_contains("keep-alive-x, upgrades", "upgrade"));
  EXPECT_FALSE(list_contains("", "close"));
  EXPECT_FALSE(list_contains("\"close\"", "close"));
}

TEST(IsHopByHop, KnownFieldsInAnyCase) {
  for (std::string_view name :
       {"Connection", "keep-alive", "PROXY-CONNECTION", "te", "Trailer", "transfer-encoding",
        "Upgrade", "Proxy-Authenticate", "proxy-authorization"}) {
    EXPECT_TRUE(is_hop_by_hop(name)) << name;
  }
  for (std::string_view name : {"Content-Length", "Trailers", "Authorization", "", "X-Upgrade"}) {
    EXPECT_FALSE(is_hop_by_hop(name)) << name;
  }
}

TEST(ParseDigits, DigitsOnlyAndSaturates) {
  EXPECT_EQ(parse_digits("0"), 0u);
  EXPECT_EQ(parse_digits("00042"), 42u);
  EXPECT_EQ(parse_digits("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(parse_digits("18446744073709551614"), std::numeric_limits<std::uint64_t>::max() - 1);
  EXPECT_EQ(parse_digits("18446744073709551616"), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(parse_digits("999999999999999999999999999999"),
            std::numeric_limits<std::uint64_t>::max());
  for (std::string_view bad : {"", " 1", "1 ", "-1", "+1", "1a", "0x10", "1.0"}) {
    EXPECT_EQ(parse_digits(bad), std::nullopt) << bad;
  }
}

TEST(ParseDeltaSeconds, ClampsToTwoToTheThirtyFirst) {
  EXPECT_EQ(parse_delta_seconds("60"), 60);
  EXPECT_EQ(parse_delta_seconds("2147483648"), kMaxDeltaSeconds);
  EXPECT_EQ(parse_delta_seconds("2147483649"), kMaxDeltaSeconds);
  EXPECT_EQ(parse_delta_seconds("-1"), std::nullopt);
}

}  // namespace
}  // namespace casserole::http
