#include "app/option_values.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace casserole::app {
namespace {

using std::chrono::milliseconds;

constexpr std::uint64_t KiB = 1024;
constexpr std::uint64_t MiB = KiB * 1024;
constexpr std::uint64_t GiB = MiB * 1024;
constexpr std::uint64_t TiB = GiB * 1024;

TEST(ParseSize, PlainBytes) {
  EXPECT_EQ(parse_size("0"), 0u);
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_EQ(parse_size("4096B"), 4096u);
  EXPECT_EQ(parse_size("007"), 7u);
}

TEST(ParseSize, SuffixesArePowersOf1024InAnyCase) {
  EXPECT_EQ(parse_size("4K"), 4 * KiB);
  EXPECT_EQ(parse_size("100M"), 100 * MiB);
  EXPECT_EQ(parse_size("100m"), 100 * MiB);
  EXPECT_EQ(parse_size("1G"), GiB);
  EXPECT_EQ(parse_size("2T"), 2 * TiB);
  EXPECT_EQ(parse_size("100MB"), 100 * MiB);
  EXPECT_EQ(parse_size("100MiB"), 100 * MiB);
  EXPECT_EQ(parse_size("1gib"), GiB);
}

TEST(ParseSize, RejectsMalformedText) {
  for (const char* text : {"", "M", "12Q", "-1", "+1", "1.5G", "1,5G", " 1G", "1G ", "1 G", "1KK",
                           "1Kb2", "1iB", "1Bi", "0x10", "1e3", "1P"}) {
    EXPECT_EQ(parse_size(text), std::nullopt) << text;
  }
}

TEST(ParseSize, RejectsOverflow) {
  EXPECT_EQ(parse_size("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(parse_size("18446744073709551616"), std::nullopt);
  EXPECT_EQ(parse_size("16777215T"), 16777215 * TiB);
  EXPECT_EQ(parse_size("16777216T"), std::nullopt);
  EXPECT_EQ(parse_size("99999999999999999999K"), std::nullopt);
}

TEST(FormatSize, UsesTheLargestExactUnit) {
  EXPECT_EQ(format_size(0), "0");
  EXPECT_EQ(format_size(1500), "1500");
  EXPECT_EQ(format_size(4 * KiB), "4K");
  EXPECT_EQ(format_size(800 * MiB), "800M");
  EXPECT_EQ(format_size(1536 * MiB), "1536M");
  EXPECT_EQ(format_size(GiB), "1G");
  EXPECT_EQ(format_size(3 * TiB), "3T");
  for (std::uint64_t size : {std::uint64_t{0}, 1500 * KiB, 7 * GiB, ~std::uint64_t{0}}) {
    EXPECT_EQ(parse_size(format_size(size)), size);
  }
}

TEST(ParseDuration, Units) {
  EXPECT_EQ(parse_duration("500ms"), milliseconds(500));
  EXPECT_EQ(parse_duration("30s"), milliseconds(30'000));
  EXPECT_EQ(parse_duration("5m"), milliseconds(300'000));
  EXPECT_EQ(parse_duration("1h"), milliseconds(3'600'000));
  EXPECT_EQ(parse_duration("2H"), milliseconds(7'200'000));
  EXPECT_EQ(parse_duration("7d"), milliseconds(604'800'000));
  EXPECT_EQ(parse_duration("10MS"), milliseconds(10));
  EXPECT_EQ(parse_duration("0"), milliseconds(0));
}

TEST(ParseDuration, BareNumberIsSeconds) {
  EXPECT_EQ(parse_duration("60"), milliseconds(60'000));
}

TEST(ParseDuration, RejectsMalformedText) {
  for (const char* text :
       {"", "s", "-1s", "+1s", "1.5s", "1 s", "1w", "1sec", "1min", "1hh", "1ms1", "ms"}) {
    EXPECT_EQ(parse_duration(text), std::nullopt) << text;
  }
}

TEST(ParseDuration, RejectsOverflow) {
  EXPECT_EQ(parse_duration("9223372036854775807ms"), milliseconds::max());
  EXPECT_EQ(parse_duration("9223372036854775808ms"), std::nullopt);
  EXPECT_EQ(parse_duration("9223372036854775h"), std::nullopt);
}

TEST(FormatDuration, PrefersHoursThenSeconds) {
  EXPECT_EQ(format_duration(milliseconds(0)), "0s");
  EXPECT_EQ(format_duration(milliseconds(500)), "500ms");
  EXPECT_EQ(format_duration(milliseconds(60'000)), "60s");
  EXPECT_EQ(format_duration(milliseconds(7'200'000)), "2h");
  EXPECT_EQ(format_duration(milliseconds(1'500)), "1500ms");
}

TEST(ParseBool, AcceptsCommonSpellingsInAnyCase) {
  for (const char* text : {"true", "TRUE", "True", "1", "yes", "YES", "on"}) {
    EXPECT_EQ(parse_bool(text), true) << text;
  }
  for (const char* text : {"false", "False", "0", "no", "NO", "off"}) {
    EXPECT_EQ(parse_bool(text), false) << text;
  }
  for (const char* text : {"", "t", "f", "2", "yess", " true", "enabled"}) {
    EXPECT_EQ(parse_bool(text), std::nullopt) << text;
  }
}

TEST(ParseCount, DigitsOnly) {
  EXPECT_EQ(parse_count("0"), 0u);
  EXPECT_EQ(parse_count("64"), 64u);
  for (const char* text : {"", "-1", "1K", "1.0", " 1", "18446744073709551616"}) {
    EXPECT_EQ(parse_count(text), std::nullopt) << text;
  }
}

TEST(SplitList, TrimsAndDropsEmptyItems) {
  using List = std::vector<std::string>;
  EXPECT_EQ(split_list(""), List{});
  EXPECT_EQ(split_list(" , ,"), List{});
  EXPECT_EQ(split_list("a"), List{"a"});
  EXPECT_EQ(split_list("a,b"), (List{"a", "b"}));
  EXPECT_EQ(split_list(" a , b,,c,\t"), (List{"a", "b", "c"}));
  EXPECT_EQ(split_list("/x y/*"), List{"/x y/*"});
}

TEST(ParseHostPort, NamesAndAddresses) {
  auto name = parse_host_port("localhost:8080");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->host, "localhost");
  EXPECT_EQ(name->port, 8080);

  auto v4 = parse_host_port("0.0.0.0:1");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "0.0.0.0");
  EXPECT_EQ(v4->port, 1);

  auto v6 = parse_host_port("[::1]:65535");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 65535);
}

TEST(ParseHostPort, RejectsMissingPartsAndBadPorts) {
  for (const char* text :
       {"", "localhost", "localhost:", ":8080", "localhost:0", "localhost:65536", "localhost:99999",
        "localhost:99999999999", "localhost:80a", "user@localhost:80", "::1:80", "[::1]",
        "[v1.x]:80", "http://localhost:80", "localhost:80/"}) {
    EXPECT_EQ(parse_host_port(text), std::nullopt) << text;
  }
}

TEST(FormatHostPort, BracketsIpv6) {
  EXPECT_EQ(format_host_port({"localhost", 8080}), "localhost:8080");
  EXPECT_EQ(format_host_port({"::", 80}), "[::]:80");
}

TEST(ParseHttpUrl, AcceptsHttpAndHttps) {
  EXPECT_EQ(parse_http_url("http://localhost:9000"), "http://localhost:9000");
  EXPECT_EQ(parse_http_url("https://example.com"), "https://example.com");
  EXPECT_EQ(parse_http_url("HTTPS://example.com/base"), "https://example.com/base");
  EXPECT_EQ(parse_http_url("http://[::1]:9000/a/b"), "http://[::1]:9000/a/b");
  EXPECT_EQ(parse_http_url("http://10.0.0.1"), "http://10.0.0.1");
}

TEST(ParseHttpUrl, DropsTrailingSlashes) {
  EXPECT_EQ(parse_http_url("http://localhost:9000/"), "http://localhost:9000");
  EXPECT_EQ(parse_http_url("http://localhost:9000//"), "http://localhost:9000");
  EXPECT_EQ(parse_http_url("http://h/mirror/debian/"), "http://h/mirror/debian");
}

TEST(ParseHttpUrl, RejectsOtherUrls) {
  for (const char* text :
       {"", "localhost:9000", "/path", "ftp://h/", "file:///x", "http://", "http:///x", "http:x",
        "http://user:pw@h/", "http://h/?q=1", "http://h/?", "http://h/#f", "http://h:0/",
        "http://h:65536/", "http://h:99999/", "http://h:x/", "http://h /", "http://[v1.x]/"}) {
    EXPECT_EQ(parse_http_url(text), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace casserole::app
