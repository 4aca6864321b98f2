#include "server/response_plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace casserole::server {
namespace {

using namespace std::chrono;
using upstream::HeaderList;
using upstream::ObjectMeta;

constexpr ObjectMeta::Clock::time_point kFetched{sys_days{2024y / March / 1} + 12h};
constexpr std::string_view kDate = "Fri, 01 Mar 2024 12:00:00 GMT";
constexpr std::string_view kLastModified = "Thu, 01 Feb 2024 12:00:00 GMT";
constexpr std::string_view kBoundary = "3d6b6a416f9b5";
constexpr std::uint64_t kLength = 10000;

HeaderList object_headers(std::uint64_t length = kLength) {
  return {{"Date", std::string(kDate)},
          {"Content-Type", "application/x-tar"},
          {"Content-Length", std::to_string(length)},
          {"ETag", "\"abc123\""},
          {"Last-Modified", std::string(kLastModified)},
          {"Cache-Control", "public, max-age=3600"},
          {"Content-Encoding", "gzip"},
          {"Server", "origin/1.0"},
          {"X-Amz-Meta-Owner", "Ünïcode \"quoted\""},
          {"Accept-Ranges", "bytes"}};
}

ObjectMeta object(std::uint64_t length = kLength) {
  return ObjectMeta::from_head(200, object_headers(length), kFetched, kFetched,
                               upstream::StoreRules{});
}

// RequestFacts built field by field: designated initializers that skip members trip
// -Wmissing-field-initializers on GCC 12.
struct Request {
  RequestFacts facts;
  Request& head() {
    facts.head = true;
    return *this;
  }
  Request& range(std::string_view v) {
    facts.range = v;
    return *this;
  }
  Request& if_range(std::string_view v) {
    facts.if_range = v;
    return *this;
  }
  Request& if_match(std::string_view v) {
    facts.if_match = v;
    return *this;
  }
  Request& if_none_match(std::string_view v) {
    facts.if_none_match = v;
    return *this;
  }
  Request& if_modified_since(std::string_view v) {
    facts.if_modified_since = v;
    return *this;
  }
  Request& if_unmodified_since(std::string_view v) {
    facts.if_unmodified_since = v;
    return *this;
  }
};

ResponsePlan plan(const Request& request, std::uint64_t length = kLength) {
  return plan_response(object(length), request.facts, kFetched + 25s, kBoundary);
}

std::vector<std::string> values(const HeaderList& headers, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [field, value] : headers) {
    if (field == name) out.push_back(value);
  }
  return out;
}

// The single value of a field; fails the test when it appears any other number of times.
std::string value(const HeaderList& headers, std::string_view name) {
  auto found = values(headers, name);
  EXPECT_EQ(found.size(), 1u) << name;
  return found.empty() ? std::string() : found.front();
}

bool has(const HeaderList& headers, std::string_view name) {
  return !values(headers, name).empty();
}

std::uint64_t body_bytes(const ResponsePlan& plan) {
  std::uint64_t bytes = plan.epilogue.size();
  for (const auto& part : plan.parts) bytes += part.prefix.size() + (part.last - part.first + 1);
  return bytes;
}

void expect_single_part(const ResponsePlan& plan, std::uint64_t first, std::uint64_t last) {
  ASSERT_EQ(plan.parts.size(), 1u);
  EXPECT_EQ(plan.parts[0].prefix, "");
  EXPECT_EQ(plan.parts[0].first, first);
  EXPECT_EQ(plan.parts[0].last, last);
  EXPECT_EQ(plan.epilogue, "");
  EXPECT_EQ(value(plan.headers, "Content-Length"), std::to_string(last - first + 1));
}

TEST(ResponsePlan, PlainGetServesTheWholeObject) {
  const ResponsePlan p = plan(Request());
  EXPECT_EQ(p.status, 200u);
  expect_single_part(p, 0, kLength - 1);
  EXPECT_EQ(value(p.headers, "Accept-Ranges"), "bytes");
  EXPECT_EQ(value(p.headers, "Age"), "25");
  EXPECT_EQ(value(p.headers, "Content-Type"), "application/x-tar");
  EXPECT_EQ(value(p.headers, "ETag"), "\"abc123\"");
  EXPECT_EQ(value(p.headers, "Last-Modified"), kLastModified);
  EXPECT_EQ(value(p.headers, "Cache-Control"), "public, max-age=3600");
  EXPECT_EQ(value(p.headers, "Content-Encoding"), "gzip");
  EXPECT_FALSE(has(p.headers, "Content-Range"));
  // Every stored field as the upstream sent it, its Date included; those that describe this
  // response (length, range, age, ranges) once, as the plan computes them.
  EXPECT_EQ(value(p.headers, "Date"), kDate);
  EXPECT_EQ(value(p.headers, "Server"), "origin/1.0");
  EXPECT_EQ(value(p.headers, "X-Amz-Meta-Owner"), "Ünïcode \"quoted\"");
  for (std::string_view once : {"Content-Length", "Accept-Ranges", "Age"}) {
    EXPECT_EQ(std::count_if(p.headers.begin(), p.headers.end(),
                            [&](const auto& field) { return field.first == once; }),
              1)
        << once;
  }
}

TEST(ResponsePlan, HeadHasNoPartsButTheFullLength) {
  const ResponsePlan p = plan(Request().head());
  EXPECT_EQ(p.status, 200u);
  EXPECT_TRUE(p.parts.empty());
  EXPECT_EQ(value(p.headers, "Content-Length"), std::to_string(kLength));
  EXPECT_EQ(value(p.headers, "ETag"), "\"abc123\"");
  EXPECT_EQ(value(p.headers, "Accept-Ranges"), "bytes");
}

TEST(ResponsePlan, RangeIsIgnoredForHead) {
  const ResponsePlan p = plan(Request().head().range("bytes=0-99"));
  EXPECT_EQ(p.status, 200u);
  EXPECT_TRUE(p.parts.empty());
  EXPECT_EQ(value(p.headers, "Content-Length"), std::to_string(kLength));
  EXPECT_FALSE(has(p.headers, "Content-Range"));
}

TEST(ResponsePlan, SingleRangeIsA206) {
  const ResponsePlan p = plan(Request().range("bytes=100-199"));
  EXPECT_EQ(p.status, 206u);
  expect_single_part(p, 100, 199);
  EXPECT_EQ(value(p.headers, "Content-Range"), "bytes 100-199/10000");
  EXPECT_EQ(value(p.headers, "Content-Type"), "application/x-tar");
  EXPECT_EQ(value(p.headers, "ETag"), "\"abc123\"");
}

TEST(ResponsePlan, SuffixRange) {
  const ResponsePlan p = plan(Request().range("bytes=-500"));
  EXPECT_EQ(p.status, 206u);
  expect_single_part(p, 9500, 9999);
  EXPECT_EQ(value(p.headers, "Content-Range"), "bytes 9500-9999/10000");
}

TEST(ResponsePlan, OpenRange) {
  const ResponsePlan p = plan(Request().range("bytes=9000-"));
  EXPECT_EQ(p.status, 206u);
  expect_single_part(p, 9000, 9999);
  EXPECT_EQ(value(p.headers, "Content-Range"), "bytes 9000-9999/10000");
}

TEST(ResponsePlan, RangePastTheEndIsClamped) {
  const ResponsePlan p = plan(Request().range("bytes=9990-20000"));
  EXPECT_EQ(p.status, 206u);
  expect_single_part(p, 9990, 9999);
}

TEST(ResponsePlan, UnsatisfiableRangeIsA416) {
  const ResponsePlan p = plan(Request().range("bytes=10000-"));
  EXPECT_EQ(p.status, 416u);
  EXPECT_TRUE(p.parts.empty());
  EXPECT_EQ(value(p.headers, "Content-Range"), "bytes */10000");
  EXPECT_EQ(value(p.headers, "Content-Length"), "0");
}

TEST(ResponsePlan, MalformedRangeServesTheWholeObject) {
  const ResponsePlan p = plan(Request().range("bytes=abc"));
  EXPECT_EQ(p.status, 200u);
  expect_single_part(p, 0, kLength - 1);
}

TEST(ResponsePlan, OverlappingRangesMergeIntoOnePart) {
  const ResponsePlan p = plan(Request().range("bytes=0-99,50-149"));
  EXPECT_EQ(p.status, 206u);
  expect_single_part(p, 0, 149);
  EXPECT_EQ(value(p.headers, "Content-Range"), "bytes 0-149/10000");
}

TEST(ResponsePlan, MultipleRangesAreMultipartByteranges) {
  const ResponsePlan p = plan(Request().range("bytes=0-9,-5,100-119"));
  EXPECT_EQ(p.status, 206u);
  EXPECT_EQ(value(p.headers, "Content-Type"),
            "multipart/byteranges; boundary=" + std::string(kBoundary));
  EXPECT_FALSE(has(p.headers, "Content-Range"));
  EXPECT_EQ(value(p.headers, "ETag"), "\"abc123\"");

  const std::string delimiter = "--" + std::string(kBoundary) + "\r\n";
  const std::string part_type = "Content-Type: application/x-tar\r\n";
  const std::vector<std::string> prefixes{
      delimiter + part_type + "Content-Range: bytes 0-9/10000\r\n\r\n",
      "\r\n" + delimiter + part_type + "Content-Range: bytes 9995-9999/10000\r\n\r\n",
      "\r\n" + delimiter + part_type + "Content-Range: bytes 100-119/10000\r\n\r\n"};
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> spans{
      {0, 9}, {9995, 9999}, {100, 119}};
  const std::string epilogue = "\r\n--" + std::string(kBoundary) + "--\r\n";

  ASSERT_EQ(p.parts.size(), 3u);
  std::uint64_t expected_length = epilogue.size();
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(p.parts[i].prefix, prefixes[i]) << i;
    EXPECT_EQ(p.parts[i].first, spans[i].first) << i;
    EXPECT_EQ(p.parts[i].last, spans[i].second) << i;
    expected_length += prefixes[i].size() + spans[i].second - spans[i].first + 1;
  }
  EXPECT_EQ(p.epilogue, epilogue);
  EXPECT_EQ(value(p.headers, "Content-Length"), std::to_string(expected_length));
}

TEST(ResponsePlan, MultipartWithoutContentTypeHasNoPartContentType) {
  HeaderList headers = object_headers();
  std::erase_if(headers, [](const auto& field) { return field.first == "Content-Type"; });
  const ObjectMeta meta =
      ObjectMeta::from_head(200, headers, kFetched, kFetched, upstream::StoreRules{});
  const ResponsePlan p =
      plan_response(meta, Request().range("bytes=0-0,2-2").facts, kFetched, kBoundary);
  ASSERT_EQ(p.parts.size(), 2u);
  EXPECT_EQ(p.parts[0].prefix.find("Content-Type"), std::string::npos);
  EXPECT_EQ(value(p.headers, "Content-Type"),
            "multipart/byteranges; boundary=" + std::string(kBoundary));
  EXPECT_EQ(value(p.headers, "Content-Length"), std::to_string(body_bytes(p)));
}

TEST(ResponsePlan, IfNoneMatchHitIsA304WithTheETag) {
  for (std::string_view tag : {"\"abc123\"", "W/\"abc123\"", "\"other\", \"abc123\"", "*"}) {
    const ResponsePlan p = plan(Request().if_none_match(tag));
    EXPECT_EQ(p.status, 304u) << tag;
    EXPECT_TRUE(p.parts.empty()) << tag;
    EXPECT_EQ(value(p.headers, "ETag"), "\"abc123\"") << tag;
    EXPECT_EQ(value(p.headers, "Cache-Control"), "public, max-age=3600") << tag;
    EXPECT_FALSE(has(p.headers, "Content-Type")) << tag;
    EXPECT_FALSE(has(p.headers, "Content-Encoding")) << tag;
  }
}

TEST(ResponsePlan, IfNoneMatchMissServesTheObject) {
  const ResponsePlan p = plan(Request().if_none_match("\"stale\""));
  EXPECT_EQ(p.status, 200u);
  expect_single_part(p, 0, kLength - 1);
}

TEST(ResponsePlan, IfNoneMatchAppliesToHead) {
  EXPECT_EQ(plan(Request().head().if_none_match("\"abc123\"")).status, 304u);
}

TEST(ResponsePlan, IfModifiedSinceNotModifiedIsA304) {
  EXPECT_EQ(plan(Request().if_modified_since(kLastModified)).status, 304u);
  const ResponsePlan later = plan(Request().if_modified_since("Sat, 10 Feb 2024 00:00:00 GMT"));
  EXPECT_EQ(later.status, 304u);
  EXPECT_TRUE(later.parts.empty());
  EXPECT_EQ(value(later.headers, "ETag"), "\"abc123\"");
}

TEST(ResponsePlan, IfModifiedSinceBeforeLastModifiedServesTheObject) {
  EXPECT_EQ(plan(Request().if_modified_since("Wed, 31 Jan 2024 12:00:00 GMT")).status, 200u);
}

TEST(ResponsePlan, InvalidIfModifiedSinceIsIgnored) {
  EXPECT_EQ(plan(Request().if_modified_since("yesterday")).status, 200u);
}

TEST(ResponsePlan, IfNoneMatchTakesPrecedenceOverIfModifiedSince) {
  // RFC 9110 §13.1.3: If-Modified-Since is ignored when If-None-Match is present.
  EXPECT_EQ(plan(Request().if_none_match("\"stale\"").if_modified_since(kLastModified)).status,
            200u);
}

TEST(ResponsePlan, IfMatchMismatchIsA412) {
  const ResponsePlan p = plan(Request().if_match("\"stale\""));
  EXPECT_EQ(p.status, 412u);
  EXPECT_TRUE(p.parts.empty());
  EXPECT_EQ(value(p.headers, "Content-Length"), "0");
}

TEST(ResponsePlan, IfMatchNeedsAStrongMatch) {
  EXPECT_EQ(plan(Request().if_match("W/\"abc123\"")).status, 412u);
  EXPECT_EQ(plan(Request().if_match("\"abc123\"")).status, 200u);
  EXPECT_EQ(plan(Request().if_match("*")).status, 200u);
}

TEST(ResponsePlan, IfUnmodifiedSinceBeforeLastModifiedIsA412) {
  EXPECT_EQ(plan(Request().if_unmodified_since("Wed, 31 Jan 2024 12:00:00 GMT")).status, 412u);
  EXPECT_EQ(plan(Request().if_unmodified_since(kLastModified)).status, 200u);
}

TEST(ResponsePlan, IfMatchTakesPrecedenceOverIfUnmodifiedSince) {
  EXPECT_EQ(
      plan(Request().if_match("\"abc123\"").if_unmodified_since("Wed, 31 Jan 2024 12:00:00 GMT"))
          .status,
      200u);
}

TEST(ResponsePlan, PreconditionFailureWinsOverNotModified) {
  EXPECT_EQ(plan(Request().if_match("\"stale\"").if_none_match("\"abc123\"")).status, 412u);
}

TEST(ResponsePlan, IfRangeWithTheCurrentStrongETagServesTheRange) {
  const ResponsePlan p = plan(Request().range("bytes=0-99").if_range("\"abc123\""));
  EXPECT_EQ(p.status, 206u);
  expect_single_part(p, 0, 99);
}

TEST(ResponsePlan, IfRangeWithAStaleETagServesTheWholeObject) {
  const ResponsePlan p = plan(Request().range("bytes=0-99").if_range("\"stale\""));
  EXPECT_EQ(p.status, 200u);
  expect_single_part(p, 0, kLength - 1);
  EXPECT_FALSE(has(p.headers, "Content-Range"));
}

TEST(ResponsePlan, IfRangeWithAWeakETagServesTheWholeObject) {
  // RFC 9110 §13.1.5: If-Range needs a strong comparison.
  EXPECT_EQ(plan(Request().range("bytes=0-99").if_range("W/\"abc123\"")).status, 200u);
}

TEST(ResponsePlan, IfRangeWithTheLastModifiedDateServesTheRange) {
  EXPECT_EQ(plan(Request().range("bytes=0-99").if_range(kLastModified)).status, 206u);
  EXPECT_EQ(plan(Request().range("bytes=0-99").if_range("Sat, 10 Feb 2024 00:00:00 GMT")).status,
            200u);
}

TEST(ResponsePlan, IfRangeDoesNotTurnAnUnsatisfiableRangeInto416) {
  // A failed If-Range means "send it all", even for a range past the end.
  EXPECT_EQ(plan(Request().range("bytes=20000-").if_range("\"stale\"")).status, 200u);
}

TEST(ResponsePlan, ZeroLengthObject) {
  const ResponsePlan get = plan(Request(), 0);
  EXPECT_EQ(get.status, 200u);
  EXPECT_TRUE(get.parts.empty());
  EXPECT_EQ(value(get.headers, "Content-Length"), "0");

  const ResponsePlan head = plan(Request().head(), 0);
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(value(head.headers, "Content-Length"), "0");

  const ResponsePlan range = plan(Request().range("bytes=0-"), 0);
  EXPECT_EQ(range.status, 416u);
  EXPECT_EQ(value(range.headers, "Content-Range"), "bytes */0");
  EXPECT_TRUE(range.parts.empty());

  const ResponsePlan suffix = plan(Request().range("bytes=-10"), 0);
  EXPECT_EQ(suffix.status, 200u);
  EXPECT_TRUE(suffix.parts.empty());
  EXPECT_EQ(value(suffix.headers, "Content-Length"), "0");
}

TEST(ResponsePlan, OneByteObject) {
  const ResponsePlan p = plan(Request().range("bytes=-1"), 1);
  EXPECT_EQ(p.status, 206u);
  expect_single_part(p, 0, 0);
  EXPECT_EQ(value(p.headers, "Content-Range"), "bytes 0-0/1");
}

TEST(ResponsePlan, AgeCountsFromTheResponse) {
  HeaderList headers = object_headers();
  headers.emplace_back("Age", "40");
  const ObjectMeta meta =
      ObjectMeta::from_head(200, headers, kFetched, kFetched, upstream::StoreRules{});
  EXPECT_EQ(value(plan_response(meta, {}, kFetched + 2s, kBoundary).headers, "Age"), "42");
}

}  // namespace
}  // namespace casserole::server
