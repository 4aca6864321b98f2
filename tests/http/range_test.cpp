#include "http/range.hpp"

#include <gtest/gtest.h>

#include <string>

namespace casserole::http {
namespace {

using Ranges = std::vector<ByteRange>;

void expect_partial(std::string_view header, std::uint64_t length, const Ranges& expected) {
  const RangeSet set = resolve_ranges(header, length);
  EXPECT_EQ(set.kind, RangeKind::partial) << header;
  EXPECT_EQ(set.ranges, expected) << header;
}

void expect_kind(std::string_view header, std::uint64_t length, RangeKind kind) {
  const RangeSet set = resolve_ranges(header, length);
  EXPECT_EQ(set.kind, kind) << header;
  EXPECT_TRUE(set.ranges.empty()) << header;
}

TEST(ResolveRanges, SingleClosedRange) {
  expect_partial("bytes=0-499", 10000, {{0, 499}});
}

TEST(ResolveRanges, OpenRangeRunsToTheEnd) {
  expect_partial("bytes=9500-", 10000, {{9500, 9999}});
}

TEST(ResolveRanges, SuffixRangeSelectsTheTail) {
  expect_partial("bytes=-500", 10000, {{9500, 9999}});
}

TEST(ResolveRanges, SuffixLongerThanTheRepresentationSelectsAllOfIt) {
  expect_partial("bytes=-20000", 10000, {{0, 9999}});
}

TEST(ResolveRanges, LastPastTheEndIsClamped) {
  expect_partial("bytes=9000-20000", 10000, {{9000, 9999}});
}

TEST(ResolveRanges, HugeNumbersSaturateInsteadOfFailing) {
  expect_partial("bytes=5-99999999999999999999999", 10, {{5, 9}});
  expect_partial("bytes=-99999999999999999999999", 10, {{0, 9}});
  expect_kind("bytes=99999999999999999999999-", 10, RangeKind::unsatisfiable);
}

TEST(ResolveRanges, UnitIsCaseInsensitiveAndWhitespaceAroundCommasIsAllowed) {
  expect_partial("Bytes=0-0 ,\t-1 , ", 10000, {{0, 0}, {9999, 9999}});
  expect_partial("BYTES=,,0-1", 10, {{0, 1}});
}

TEST(ResolveRanges, KeepsRequestOrder) {
  expect_partial("bytes=500-599,0-99,300-399", 1000, {{500, 599}, {0, 99}, {300, 399}});
}

TEST(ResolveRanges, CoalescesOverlappingAndAdjacentRanges) {
  expect_partial("bytes=0-99,50-149", 1000, {{0, 149}});
  expect_partial("bytes=0-99,100-199", 1000, {{0, 199}});
  expect_partial("bytes=0-99,101-199", 1000, {{0, 99}, {101, 199}});
  expect_partial("bytes=0-9,0-9,0-9,0-9", 1000, {{0, 9}});
  expect_partial("bytes=-10,990-", 1000, {{990, 999}});
}

TEST(ResolveRanges, CoalescedRangeTakesTheEarliestPlaceAndBridgesGaps) {
  expect_partial("bytes=800-899,0-9,200-299,20-30,100-199,0-", 1000, {{0, 999}});
  expect_partial("bytes=800-899,200-299,500-509,100-250", 1000,
                 {{800, 899}, {100, 299}, {500, 509}});
}

TEST(ResolveRanges, DropsUnsatisfiableRangesButKeepsTheOthers) {
  expect_partial("bytes=2000-3000,0-9,-0", 1000, {{0, 9}});
}

TEST(ResolveRanges, UnsatisfiableWhenNothingOverlaps) {
  expect_kind("bytes=1000-", 1000, RangeKind::unsatisfiable);
  expect_kind("bytes=1000-2000,5000-", 1000, RangeKind::unsatisfiable);
  expect_kind("bytes=-0", 1000, RangeKind::unsatisfiable);
}

TEST(ResolveRanges, ZeroLengthRepresentation) {
  expect_kind("bytes=0-", 0, RangeKind::unsatisfiable);
  expect_kind("bytes=0-0", 0, RangeKind::unsatisfiable);
  expect_kind("bytes=-0", 0, RangeKind::unsatisfiable);
  expect_kind("bytes=-1", 0, RangeKind::whole);
  expect_kind("bytes=0-5,-1", 0, RangeKind::whole);
}

TEST(ResolveRanges, AbsentHeaderIsWhole) {
  expect_kind("", 100, RangeKind::whole);
  expect_kind("  ", 100, RangeKind::whole);
}

TEST(ResolveRanges, InvalidSyntaxOrOtherUnitIsIgnored) {
  for (std::string_view header :
       {"bytes=",     "bytes=,",       "bytes",         "bytes 0-1",   "=0-1",       "items=0-1",
        "bytes =0-1", "bytes=5-1",     "bytes=0-1,5-1", "bytes=a-1",   "bytes=0-b",  "bytes=-",
        "bytes=--1",  "bytes=1--2",    "bytes=0 -1",    "bytes=0-1;x", "bytes=+1-2", "bytes=0x1-2",
        "bytes=1",    "bytes=\"0-1\"", "bytes=0-1,oops"}) {
    expect_kind(header, 100, RangeKind::whole);
  }
}

TEST(ResolveRanges, TooManyRangesIsWhole) {
  std::string header = "bytes=0-0";
  for (int i = 1; i < 5; ++i) header += "," + std::to_string(i * 2) + "-" + std::to_string(i * 2);
  EXPECT_EQ(resolve_ranges(header, 100, 5).kind, RangeKind::partial);
  EXPECT_EQ(resolve_ranges(header, 100, 4).kind, RangeKind::whole);
  EXPECT_EQ(resolve_ranges(header + ",0-0", 100, 5).kind, RangeKind::whole);
}

TEST(ResolveRanges, DefaultLimitIsSixtyFour) {
  std::string header = "bytes=0-0";
  for (int i = 1; i < 64; ++i) header += ",0-0";
  EXPECT_EQ(resolve_ranges(header, 100).kind, RangeKind::partial);
  EXPECT_EQ(resolve_ranges(header + ",0-0", 100).kind, RangeKind::whole);
}

TEST(ByteRange, LengthIsInclusive) {
  EXPECT_EQ((ByteRange{0, 0}.length()), 1u);
  EXPECT_EQ((ByteRange{10, 19}.length()), 10u);
}

TEST(FormatContentRange, Forms) {
  EXPECT_EQ(format_content_range({0, 499}, 1234), "bytes 0-499/1234");
  EXPECT_EQ(format_unsatisfied_range(1234), "bytes */1234");
  EXPECT_EQ(format_unsatisfied_range(0), "bytes */0");
}

TEST(ParseContentRange, AcceptsKnownAndUnknownCompleteLength) {
  EXPECT_EQ(parse_content_range("bytes 0-499/1234"), (ContentRange{0, 499, 1234}));
  EXPECT_EQ(parse_content_range(" Bytes 42-42/43 "), (ContentRange{42, 42, 43}));
  EXPECT_EQ(parse_content_range("bytes 0-499/*"), (ContentRange{0, 499, std::nullopt}));
  EXPECT_EQ(parse_content_range("bytes 0-18446744073709551613/18446744073709551614"),
            (ContentRange{0, 18446744073709551613u, 18446744073709551614u}));
}

TEST(ParseContentRange, RoundTripsWhatWeFormat) {
  const ByteRange r{100, 2097251};
  EXPECT_EQ(parse_content_range(format_content_range(r, 5000000)),
            (ContentRange{r.first, r.last, 5000000}));
}

TEST(ParseContentRange, Rejects) {
  for (std::string_view value : {"",
                                 "bytes */1234",
                                 "bytes */*",
                                 "bytes 5-4/10",
                                 "bytes 0-10/10",
                                 "bytes 0-9/0",
                                 "items 0-1/2",
                                 "bytes=0-1/2",
                                 "bytes0-1/2",
                                 "bytes  0-1/2",
                                 "bytes 0-1",
                                 "bytes 0/1",
                                 "bytes -1/2",
                                 "bytes 0-/2",
                                 "bytes 0-1/",
                                 "bytes 0-1/2x",
                                 "bytes 0 - 1/2",
                                 "bytes 0-1/2/3",
                                 "bytes 0-18446744073709551615/*",
                                 "bytes 0-1/99999999999999999999999",
                                 "bytes 1-0x2/3"}) {
    EXPECT_EQ(parse_content_range(value), std::nullopt) << value;
  }
}

}  // namespace
}  // namespace casserole::http
