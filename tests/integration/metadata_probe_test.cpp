// Metadata from the first segment's ranged GET: with --metadata-from=get always, and in the
// default mode when a HEAD falls short (an object store refusing HEAD on a signed URL, an origin
// that answers HEAD without a length). One round trip brings the metadata and the first bytes.
#include <future>

#include "integration/mirror_fixture.hpp"
#include "support/casserole_cluster.hpp"

namespace casserole::test {
namespace {

using namespace std::chrono_literals;

std::size_t count(FaultMirror& mirror, const std::string& target, const std::string& method) {
  return mirror.requests(target, method).size();
}

TEST(MetadataProbe, FromGetAColdObjectCostsNoHeadAndOneGetPerSegment) {
  FaultMirror mirror({"--segment-size=2M", "--metadata-from=get", "--max-memory-usage=256M"});
  const std::uint64_t size = 64 * kMiB;
  mirror.origin.put_object("/big", {.size = size, .seed = 1, .headers = cacheable_headers()});
  for (int i = 0; i < 2; ++i) {
    const Response response = get(mirror.url("/big"));
    EXPECT_EQ(response.status, 200) << response.error;
    EXPECT_EQ(response.body_sha256, pattern_sha256(1, 0, size));
    EXPECT_EQ(response.header("ETag"), "\"v1\"");
  }
  EXPECT_EQ(count(mirror, "/big", "HEAD"), 0u);
  const auto gets = mirror.requests("/big", "GET");
  EXPECT_EQ(gets.size(), 32u) << "the first segment's GET gave the metadata too";
  ASSERT_FALSE(gets.empty());
  EXPECT_EQ(gets.front().range, "bytes=0-2097151");
}

TEST(MetadataProbe, FromGetRevalidatesWithAConditionalRangedGet) {
  FaultMirror mirror({"--segment-size=1M", "--metadata-from=get", "--min-ttl=0"});
  auto fields = cacheable_headers();
  fields[0] = {"Cache-Control", "no-cache"};
  mirror.origin.put_object("/v", {.size = 3 * kMiB, .seed = 2, .headers = fields});
  for (int i = 0; i < 2; ++i) {
    const Response response = get(mirror.url("/v"));
    EXPECT_EQ(response.body_sha256, pattern_sha256(2, 0, 3 * kMiB)) << response.error;
  }
  const auto gets = mirror.requests("/v", "GET");
  ASSERT_EQ(gets.size(), 4u) << "three segments, then one revalidation";
  EXPECT_EQ(gets.back().if_none_match, "\"v1\"");
  EXPECT_EQ(count(mirror, "/v", "HEAD"), 0u);
}

// An object store: HEAD is refused (the URL is signed for GET), and so is a wrong signature.
TEST(MetadataProbe, ARefusedHeadFallsBackToTheRangedGet) {
  FaultMirror mirror({"--segment-size=1M"});
  mirror.origin.put_object("/bucket/o", {.size = 3 * kMiB,
                                         .seed = 3,
                                         .headers = cacheable_headers(),
                                         .head_status = 403,
                                         .required_query = "X-Amz-Signature=good"});
  const std::string good = "/bucket/o?X-Amz-Signature=good";
  for (int i = 0; i < 2; ++i) {
    const Response response = get(mirror.url(good));
    EXPECT_EQ(response.status, 200) << response.error;
    EXPECT_EQ(response.body_sha256, pattern_sha256(3, 0, 3 * kMiB));
  }
  EXPECT_EQ(count(mirror, good, "HEAD"), 1u);
  EXPECT_EQ(count(mirror, good, "GET"), 3u) << "cached after the fallback";
  EXPECT_EQ(get(mirror.url("/bucket/o?X-Amz-Signature=bad")).status, 403);
}

TEST(MetadataProbe, AHeadWithoutLengthTakesItFromTheContentRange) {
  FaultMirror mirror({"--segment-size=1M"});
  mirror.origin.put_object("/dyn", {.size = 2 * kMiB + 5,
                                    .seed = 4,
                                    .headers = cacheable_headers(),
                                    .head_content_length = false});
  for (int i = 0; i < 2; ++i) {
    const Response response = get(mirror.url("/dyn"));
    EXPECT_EQ(response.status, 200) << response.error;
    EXPECT_EQ(response.body_sha256, pattern_sha256(4, 0, 2 * kMiB + 5));
  }
  EXPECT_EQ(count(mirror, "/dyn", "GET"), 3u);
}

// A cluster in get mode: the node that learns the metadata keeps the first segment it came with,
// and every byte crosses the upstream link once however many clients ask at once.
TEST(MetadataProbe, AClusterHerdFetchesEachByteOnce) {
  FaultOrigin origin;
  const std::uint64_t size = 16 * kMiB;
  origin.put_object("/herd", {.size = size, .seed = 5, .headers = cacheable_headers()});
  Cluster cluster(origin.url(), {"--segment-size=2M", "--metadata-from=get"}, 3);
  ASSERT_TRUE(cluster.wait_until_formed(20s)) << cluster.logs();
  std::vector<std::future<Response>> clients;
  for (int i = 0; i < 12; ++i) {
    clients.push_back(std::async(std::launch::async, [&cluster, i] {
      return get(cluster.url(static_cast<std::size_t>(i % 3), "/herd"));
    }));
  }
  for (auto& client : clients) {
    const Response response = client.get();
    EXPECT_EQ(response.status, 200) << response.error;
    EXPECT_EQ(response.body_sha256, pattern_sha256(5, 0, size));
  }
  std::size_t heads = 0;
  std::size_t gets = 0;
  for (const auto& request : origin.requests()) {
    heads += request.method == "HEAD";
    gets += request.method == "GET";
  }
  EXPECT_EQ(heads, 0u);
  EXPECT_EQ(gets, 8u) << "upstream bytes / object size = 1.00\n" << cluster.logs();
}

}  // namespace
}  // namespace casserole::test
