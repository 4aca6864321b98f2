#include "mirror/meta_record.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace casserole::mirror {
namespace {

using namespace std::chrono_literals;
using Clock = upstream::ObjectMeta::Clock;

upstream::ObjectMeta answer(Clock::time_point when) {
  return upstream::ObjectMeta::from_head(200,
                                         {{"Content-Length", "5000"},
                                          {"ETag", "\"v1\""},
                                          {"Cache-Control", "max-age=3600"},
                                          {"X-Note", "kept \"as is\""}},
                                         when - 1s, when, upstream::StoreRules{});
}

TEST(MetaRecord, RoundTripKeepsVersionAndFreshness) {
  auto now = Clock::now();
  auto meta = answer(now - 10min);
  auto decoded = decode_meta_record(encode_meta_record(meta), upstream::StoreRules{});
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(decoded->cacheable());
  EXPECT_EQ(decoded->version(), meta.version());
  EXPECT_EQ(decoded->headers(), meta.headers());
  // Freshness counts from the original answer, not from the decoding.
  EXPECT_EQ(decoded->remaining_freshness(now), meta.remaining_freshness(now));
  EXPECT_LE(decoded->remaining_freshness(now), 50min);
}

TEST(MetaRecord, CurrentMinTtlDecides) {
  auto meta = answer(Clock::now() - 59min);
  auto decoded = decode_meta_record(encode_meta_record(meta), upstream::StoreRules{.min_ttl = 2h});
  ASSERT_TRUE(decoded);
  EXPECT_FALSE(decoded->cacheable());
}

TEST(MetaRecord, OtherBytesAreNoRecord) {
  for (const char* bytes :
       {"", "{", "[]", "{\"status\":200}",
        R"({"status":"200","headers":[],"request_time":1,"response_time":2})",
        R"({"status":200,"headers":[["a"]],"request_time":1,"response_time":2})",
        R"({"status":7,"headers":[],"request_time":1,"response_time":2})"}) {
    EXPECT_FALSE(decode_meta_record(bytes, upstream::StoreRules{})) << bytes;
  }
}

}  // namespace
}  // namespace casserole::mirror
