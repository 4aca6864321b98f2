// The operator's caching policy (--default-ttl, --ttl, --immutable) against an origin that sends
// no caching header and no validator, as many package mirrors do.
#include <future>

#include "integration/mirror_fixture.hpp"

namespace casserole::test {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

// No Cache-Control, Expires, Last-Modified or ETag: by RFC 9111 nothing is fresh.
constexpr std::uint64_t kSmall = 100'000;

std::size_t upstream_gets(FaultMirror& mirror, const std::string& target) {
  return mirror.requests(target, "GET").size();
}

void download_twice(FaultMirror& mirror, const std::string& target, std::uint64_t seed,
                    std::uint64_t size) {
  for (int i = 0; i < 2; ++i) {
    const Response response = get(mirror.url(target));
    EXPECT_EQ(response.status, 200) << response.error;
    EXPECT_EQ(response.body_sha256, pattern_sha256(seed, 0, size)) << target;
  }
}

TEST(CachePolicy, WithoutOptionsASilentOriginIsAskedEveryTime) {
  FaultMirror mirror;
  mirror.origin.put_object("/pool/a.deb", {.size = kSmall, .seed = 1});
  download_twice(mirror, "/pool/a.deb", 1, kSmall);
  EXPECT_EQ(upstream_gets(mirror, "/pool/a.deb"), 2u);
}

TEST(CachePolicy, PathTtlCachesASmallObjectWithoutValidator) {
  FaultMirror mirror({"--segment-size=1M", "--ttl=/pool/*=1h"});
  mirror.origin.put_object("/pool/a.deb", {.size = kSmall, .seed = 2});
  mirror.origin.put_object("/dists/Release", {.size = kSmall, .seed = 3});
  download_twice(mirror, "/pool/a.deb", 2, kSmall);
  EXPECT_EQ(upstream_gets(mirror, "/pool/a.deb"), 1u) << "the second download is a hit";
  download_twice(mirror, "/dists/Release", 3, kSmall);
  EXPECT_EQ(upstream_gets(mirror, "/dists/Release"), 2u) << "no rule matches it";
}

// Freshness but no validator: one answer cannot mix versions, so a one-segment object is stored.
TEST(CachePolicy, AFreshObjectOfOneSegmentNeedsNoValidator) {
  FaultMirror mirror({"--segment-size=1M"});
  mirror.origin.put_object(
      "/fresh", {.size = kSmall, .seed = 17, .headers = {{"Cache-Control", "max-age=3600"}}});
  mirror.origin.put_object(
      "/fresh-large",
      {.size = 3 * kMiB, .seed = 18, .headers = {{"Cache-Control", "max-age=3600"}}});
  download_twice(mirror, "/fresh", 17, kSmall);
  EXPECT_EQ(upstream_gets(mirror, "/fresh"), 1u);
  download_twice(mirror, "/fresh-large", 18, 3 * kMiB);
  EXPECT_EQ(upstream_gets(mirror, "/fresh-large"), 2u) << "segments could mix versions";
}

TEST(CachePolicy, PathTtlNeverStoresWhatTheAnswerForbids) {
  FaultMirror mirror({"--segment-size=1M", "--ttl=*=1h"});
  mirror.origin.put_object("/private",
                           {.size = kSmall, .seed = 4, .headers = {{"Cache-Control", "private"}}});
  download_twice(mirror, "/private", 4, kSmall);
  EXPECT_EQ(upstream_gets(mirror, "/private"), 2u);
}

TEST(CachePolicy, DefaultTtlCachesAnswersThatGiveNoLifetime) {
  FaultMirror mirror({"--segment-size=1M", "--default-ttl=10m"});
  mirror.origin.put_object("/silent", {.size = kSmall, .seed = 5});
  mirror.origin.put_object(
      "/stated", {.size = kSmall, .seed = 6, .headers = {{"Cache-Control", "max-age=0"}}});
  download_twice(mirror, "/silent", 5, kSmall);
  EXPECT_EQ(upstream_gets(mirror, "/silent"), 1u);
  download_twice(mirror, "/stated", 6, kSmall);
  EXPECT_EQ(upstream_gets(mirror, "/stated"), 2u) << "a stated lifetime is the answer's own";
}

TEST(CachePolicy, ImmutableObjectsAreCachedInSegmentsAndFetchedOnce) {
  FaultMirror mirror({"--segment-size=2M", "--immutable=/pool/*"});
  const std::uint64_t size = 20 * kMiB;
  mirror.origin.put_object("/pool/big.deb", {.size = size, .seed = 7});
  mirror.origin.put_object("/pool/herd.deb", {.size = size, .seed = 8});
  download_twice(mirror, "/pool/big.deb", 7, size);
  EXPECT_EQ(upstream_gets(mirror, "/pool/big.deb"), 10u) << "ten segments, each fetched once";
  EXPECT_EQ(mirror.requests("/pool/big.deb", "HEAD").size(), 1u) << "never revalidated";

  std::vector<std::future<Response>> herd;
  for (int i = 0; i < 20; ++i) {
    herd.push_back(
        std::async(std::launch::async, [&] { return get(mirror.url("/pool/herd.deb")); }));
  }
  for (auto& client : herd) {
    const Response response = client.get();
    EXPECT_EQ(response.status, 200) << response.error;
    EXPECT_EQ(response.body_sha256, pattern_sha256(8, 0, size));
  }
  EXPECT_EQ(upstream_gets(mirror, "/pool/herd.deb"), 10u) << "20 clients, one GET per segment";
}

// An origin that breaks the promise: the length changes between segments. Every client gets one
// version whole, or a transfer that fails; never a mix.
TEST(CachePolicy, ImmutableObjectThatChangesLengthIsNeverServedMixed) {
  FaultMirror mirror({"--segment-size=1M", "--read-ahead=0", "--immutable=/pool/*"});
  const std::uint64_t size = 4 * kMiB;
  const std::uint64_t changed = 5 * kMiB;
  mirror.origin.put_object(
      "/pool/liar.deb", {.size = size, .seed = 9, .change_after_gets = 2, .changed_size = changed});
  int whole = 0;
  for (int i = 0; i < 4; ++i) {
    HttpClient client;
    const Response response =
        client.perform(Request{.url = mirror.url("/pool/liar.deb"), .keep_body = false});
    const bool first_version = response.body_sha256 == pattern_sha256(9, 0, size);
    const bool second_version = response.body_sha256 == pattern_sha256(10, 0, changed);
    if (response.curl_code == 0 && response.status == 200) {
      EXPECT_TRUE(first_version || second_version) << "client " << i << " got a mixed body";
      whole += first_version || second_version;
    } else {
      EXPECT_FALSE(first_version || second_version);
    }
  }
  EXPECT_GE(whole, 1) << "once the change is seen, the new version is served whole";
}

// Presigned URLs: each client's signature differs, the object is one.
TEST(CachePolicy, IgnoredQueryParametersShareOneObjectAndStillGoUpstream) {
  FaultMirror mirror({"--segment-size=1M", "--cache-key-ignore-query=X-Amz-*,Signature"});
  mirror.origin.put_object("/bucket/model.bin",
                           {.size = 3 * kMiB, .seed = 11, .headers = cacheable_headers()});
  const auto signed_url = [](int client) {
    return "/bucket/model.bin?X-Amz-Expires=60&X-Amz-Signature=sig" + std::to_string(client);
  };
  for (int client = 0; client < 3; ++client) {
    const Response response = get(mirror.url(signed_url(client)));
    EXPECT_EQ(response.status, 200) << response.error;
    EXPECT_EQ(response.body_sha256, pattern_sha256(11, 0, 3 * kMiB));
  }
  std::size_t gets = 0;
  for (const auto& request : mirror.origin.requests()) {
    if (!request.target.starts_with("/bucket/")) continue;
    EXPECT_EQ(request.target, signed_url(0)) << "the first client's signed URL went upstream";
    gets += request.method == "GET";
  }
  EXPECT_EQ(gets, 3u) << "three segments, fetched once for three signatures";

  // A parameter that is not ignored names another object.
  mirror.origin.clear_log();
  EXPECT_EQ(get(mirror.url("/bucket/model.bin?versionId=2&Signature=z")).status, 200);
  EXPECT_EQ(mirror.requests("/bucket/model.bin?versionId=2&Signature=z", "GET").size(), 3u);
}

// RFC 9111 freshness at the edges: what a response and a request say about using a stored copy.
TEST(CachePolicy, NoCacheAnswersAreStoredAndValidatedBeforeEveryUse) {
  FaultMirror mirror({"--segment-size=1M"});
  Fields fields = cacheable_headers();
  fields[0] = {"Cache-Control", "no-cache"};
  mirror.origin.put_object("/nc", {.size = 2 * kMiB, .seed = 12, .headers = fields});
  download_twice(mirror, "/nc", 12, 2 * kMiB);
  EXPECT_EQ(upstream_gets(mirror, "/nc"), 2u) << "two segments, fetched once";
  const auto heads = mirror.requests("/nc", "HEAD");
  ASSERT_EQ(heads.size(), 2u) << "one HEAD, then one conditional HEAD per use";
  EXPECT_EQ(heads[1].if_none_match, "\"v1\"");
}

TEST(CachePolicy, AnAlreadyStaleAnswerIsNotStoredEvenWithMinTtl0) {
  FaultMirror mirror({"--segment-size=1M", "--min-ttl=0"});
  Fields fields = cacheable_headers();
  fields[0] = {"Cache-Control", "max-age=0"};
  mirror.origin.put_object("/stale", {.size = kSmall, .seed = 13, .headers = fields});
  download_twice(mirror, "/stale", 13, kSmall);
  EXPECT_EQ(upstream_gets(mirror, "/stale"), 2u);
}

TEST(CachePolicy, RequestDirectivesRevalidateOrStayWithWhatIsStored) {
  FaultMirror mirror({"--segment-size=1M"});
  mirror.origin.put_object("/r", {.size = kSmall, .seed = 14, .headers = cacheable_headers()});
  HttpClient client;
  const Response miss = client.perform(
      Request{.url = mirror.url("/r"), .headers = {"Cache-Control: only-if-cached"}});
  EXPECT_EQ(miss.status, 504) << "nothing stored yet";
  EXPECT_TRUE(mirror.requests("/r", "HEAD").empty()) << "only-if-cached asks no one";
  download_twice(mirror, "/r", 14, kSmall);
  const Response hit = client.perform(
      Request{.url = mirror.url("/r"), .headers = {"Cache-Control: only-if-cached"}});
  EXPECT_EQ(hit.status, 200);
  EXPECT_EQ(hit.body_sha256, pattern_sha256(14, 0, kSmall));
  EXPECT_EQ(mirror.requests("/r", "HEAD").size(), 1u);
  for (const char* directive :
       {"Cache-Control: no-cache", "Cache-Control: max-age=0", "Pragma: no-cache"}) {
    const Response validated =
        client.perform(Request{.url = mirror.url("/r"), .headers = {directive}});
    EXPECT_EQ(validated.status, 200) << directive;
    EXPECT_EQ(validated.body_sha256, pattern_sha256(14, 0, kSmall)) << directive;
  }
  const auto heads = mirror.requests("/r", "HEAD");
  ASSERT_EQ(heads.size(), 4u) << "each one validated the stored copy";
  EXPECT_EQ(heads.back().if_none_match, "\"v1\"");
  EXPECT_EQ(upstream_gets(mirror, "/r"), 1u) << "the stored bytes were still good";
}

// An upstream that ignores Range: a one-segment object's 200 is the segment; a larger one's is
// streamed through.
TEST(CachePolicy, AWholeAnswerToARangedGetIsStoredWhenItIsOneSegment) {
  FaultMirror mirror({"--segment-size=1M"});
  mirror.origin.put_object(
      "/small", {.size = kSmall, .seed = 15, .headers = cacheable_headers(), .honor_range = false});
  mirror.origin.put_object(
      "/large",
      {.size = 3 * kMiB, .seed = 16, .headers = cacheable_headers(), .honor_range = false});
  download_twice(mirror, "/small", 15, kSmall);
  EXPECT_EQ(upstream_gets(mirror, "/small"), 1u);
  download_twice(mirror, "/large", 16, 3 * kMiB);
  EXPECT_GE(upstream_gets(mirror, "/large"), 2u) << "not stored: each download went through";
}

}  // namespace
}  // namespace casserole::test
