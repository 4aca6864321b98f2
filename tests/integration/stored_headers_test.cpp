// A cached response carries the upstream's end-to-end fields as stored, byte for byte, wherever
// its bytes come from (RFC 9111 §3.1, §4): custom and object-store fields, the upstream's Date.
#include <thread>

#include "integration/mirror_fixture.hpp"
#include "support/casserole_cluster.hpp"

namespace casserole::test {
namespace {

using namespace std::chrono_literals;

using Fields = std::vector<std::pair<std::string, std::string>>;

// What object stores and CDNs send, spelt as they spell it.
Fields object_store_fields() {
  Fields fields = cacheable_headers();
  fields.insert(fields.end(), {{"x-amz-meta-owner", "Alice \"A\" Smith"},
                               {"x-goog-hash", "crc32c=n03x6A==,md5=Ojk9c3dhfxgoKVVHYwFbHQ=="},
                               {"Content-MD5", "Ojk9c3dhfxgoKVVHYwFbHQ=="},
                               {"Repr-Digest", "sha-256=:AAAA:"},
                               {"Content-Location", "/objects/v1"},
                               {"Content-Security-Policy", "default-src 'none'"},
                               {"X-Custom", "  spaced  value"}});
  return fields;
}

// Fields whose value the node may not change; Date only where it is the stored one.
void expect_fields(const Response& response, const Fields& fields, const std::string& where) {
  EXPECT_EQ(response.status, 200) << where << ": " << response.error;
  for (const auto& [name, value] : fields) {
    // HTTP trims a field value's surrounding whitespace; everything inside stays.
    const auto first = value.find_first_not_of(' ');
    const std::string trimmed = value.substr(first, value.find_last_not_of(' ') - first + 1);
    EXPECT_EQ(response.header(name), trimmed) << where << ": " << name;
  }
  EXPECT_EQ(std::count_if(response.headers.begin(), response.headers.end(),
                          [](const auto& field) { return field.first == "Content-Length"; }),
            1)
      << where;
}

TEST(StoredHeaders, AreServedOnMissHitAndDiskHit) {
  FaultMirror mirror({"--segment-size=1M", "--disk-cache-enabled=true"});
  const Fields fields = object_store_fields();
  mirror.origin.put_object("/o", {.size = 3 * kMiB, .seed = 1, .headers = fields});
  const Response miss = get(mirror.url("/o"));
  expect_fields(miss, fields, "miss");
  EXPECT_EQ(miss.header("X-Casserole-Source"), "upstream");
  std::this_thread::sleep_for(1100ms);  // a Date of now would differ from the stored one
  const Response hit = get(mirror.url("/o"));
  expect_fields(hit, fields, "hit");
  EXPECT_EQ(hit.header("X-Casserole-Source"), "memory");
  EXPECT_EQ(hit.header("Date"), miss.header("Date")) << "the upstream's Date is stored";
  EXPECT_NE(hit.header("Age"), "") << "with an Age";

  mirror.node.restart();
  const Response disk = get(mirror.url("/o"));
  expect_fields(disk, fields, "disk hit");
  EXPECT_EQ(disk.header("X-Casserole-Source"), "disk");
  EXPECT_EQ(disk.header("Date"), miss.header("Date"));
  EXPECT_EQ(mirror.requests("/o", "GET").size(), 3u) << "three segments, fetched once";
}

TEST(StoredHeaders, AreServedOnPeerHit) {
  FaultOrigin origin;
  const Fields fields = object_store_fields();
  origin.put_object("/p", {.size = 6 * kMiB, .seed = 2, .headers = fields});
  Cluster cluster(origin.url(), {"--segment-size=1M"}, 2);
  ASSERT_TRUE(cluster.wait_until_formed(20s)) << cluster.logs();
  // Each node owns some of the segments and asks the other for the rest.
  const Response first = get(cluster.url(0, "/p"));
  expect_fields(first, fields, "node 0");
  const Response second = get(cluster.url(1, "/p"));
  expect_fields(second, fields, "node 1");
  const std::string sources =
      first.header("X-Casserole-Source") + " " + second.header("X-Casserole-Source");
  EXPECT_NE(sources.find("peer"), std::string::npos) << sources;
}

TEST(StoredHeaders, ANotModifiedAnswerUpdatesThem) {
  FaultMirror mirror({"--segment-size=1M", "--min-ttl=0"});
  Fields fields = cacheable_headers();
  fields[0] = {"Cache-Control", "max-age=1"};
  fields.emplace_back("x-amz-meta-owner", "alice");
  mirror.origin.put_object("/r", {.size = 1000, .seed = 3, .headers = fields});
  expect_fields(get(mirror.url("/r")), fields, "first");
  fields.back().second = "bob";
  mirror.origin.put_object("/r", {.size = 1000, .seed = 3, .headers = fields});
  std::this_thread::sleep_for(2100ms);  // stale: the next request revalidates
  const Response revalidated = get(mirror.url("/r"));
  expect_fields(revalidated, fields, "after the 304");
  EXPECT_EQ(revalidated.body_sha256, pattern_sha256(3, 0, 1000));
  EXPECT_EQ(mirror.requests("/r", "GET").size(), 1u) << "the 304 kept the stored bytes";
}

TEST(StoredHeaders, FieldsAQualifiedNoCacheNamesAreNeverStored) {
  FaultMirror mirror({"--segment-size=1M"});
  Fields fields = cacheable_headers();
  fields[0] = {"Cache-Control", "max-age=3600, no-cache=\"X-Token\", private=\"X-User\""};
  fields.emplace_back("X-Token", "secret-a");
  fields.emplace_back("X-User", "alice");
  fields.emplace_back("X-Public", "kept");
  mirror.origin.put_object("/q", {.size = 1000, .seed = 4, .headers = fields});
  for (int i = 0; i < 2; ++i) {
    const Response response = get(mirror.url("/q"));
    EXPECT_EQ(response.status, 200) << response.error;
    EXPECT_FALSE(response.has_header("X-Token"));
    EXPECT_FALSE(response.has_header("X-User"));
    EXPECT_EQ(response.header("X-Public"), "kept");
  }
  EXPECT_EQ(mirror.requests("/q", "GET").size(), 1u) << "stored without them";
}

}  // namespace
}  // namespace casserole::test
