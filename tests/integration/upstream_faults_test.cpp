// The caching path against an upstream that misbehaves on purpose (the fault origin): what must
// not be cached, streaming, version changes, cut connections, timeouts and revalidation.
#include <boost/json/parse.hpp>
#include <thread>

#include "support/ports.hpp"

#include "integration/mirror_fixture.hpp"

namespace casserole::test {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Uncacheable {
  const char* name;
  Headers headers;
};

void PrintTo(const Uncacheable& value, std::ostream* out) {
  *out << value.name;
}

class NotCached : public testing::TestWithParam<Uncacheable> {};

TEST_P(NotCached, IsStreamedThroughAndNeverStored) {
  FaultMirror mirror;
  const std::uint64_t size = 3 * kMiB;
  mirror.origin.put_object("/object", {.size = size, .seed = 4, .headers = GetParam().headers});
  for (int i = 0; i < 2; ++i) {
    Response response = get(mirror.url("/object"));
    ASSERT_EQ(response.status, 200) << response.error;
    EXPECT_EQ(response.body_sha256, pattern_sha256(4, 0, size));
    EXPECT_EQ(response.header("X-Casserole-Source"), "upstream");
  }
  auto gets = mirror.requests("/object", "GET");
  ASSERT_EQ(gets.size(), 2u) << "each request goes to the upstream";
  for (const auto& request : gets) EXPECT_EQ(request.range, "") << "streamed whole, not segmented";
  EXPECT_EQ(mirror.requests("/object", "HEAD").size(), 1u) << "the refusal is remembered";
}

INSTANTIATE_TEST_SUITE_P(
    Upstream, NotCached,
    testing::Values(
        Uncacheable{"NoStore", {{"Cache-Control", "no-store, max-age=3600"}, {"ETag", "\"a\""}}},
        Uncacheable{"Private", {{"Cache-Control", "private, max-age=3600"}, {"ETag", "\"a\""}}},
        Uncacheable{"SetCookie",
                    {{"Cache-Control", "max-age=3600"}, {"ETag", "\"a\""}, {"Set-Cookie", "a=b"}}},
        Uncacheable{"VaryStar",
                    {{"Cache-Control", "max-age=3600"}, {"ETag", "\"a\""}, {"Vary", "*"}}},
        Uncacheable{"ShortLived", {{"Cache-Control", "max-age=30"}, {"ETag", "\"a\""}}},
        Uncacheable{"NoFreshness", {{"ETag", "\"a\""}}},
        Uncacheable{"NoValidator", {{"Cache-Control", "max-age=3600"}}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(UpstreamFaults, PassthroughSendsTheClientsRangeUpstream) {
  FaultMirror mirror;
  mirror.origin.put_object("/live",
                           {.size = 100000, .seed = 3, .headers = {{"Cache-Control", "no-store"}}});
  Response response = get(mirror.url("/live"), {"Range: bytes=10-19"});
  EXPECT_EQ(response.status, 206);
  EXPECT_EQ(response.header("Content-Range"), "bytes 10-19/100000");
  EXPECT_EQ(response.body_sha256, pattern_sha256(3, 10, 10));
  auto gets = mirror.requests("/live", "GET");
  ASSERT_EQ(gets.size(), 1u);
  EXPECT_EQ(gets[0].range, "bytes=10-19");
}

TEST(UpstreamFaults, AuthorizedRequestsArePassedThroughWithTheirCredentials) {
  FaultMirror mirror;
  mirror.origin.put_object("/secret", {.size = 1000, .seed = 2, .headers = cacheable_headers()});
  for (int i = 0; i < 2; ++i) {
    Response response = get(mirror.url("/secret"), {"Authorization: Bearer token"});
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.body_sha256, pattern_sha256(2, 0, 1000));
  }
  auto gets = mirror.requests("/secret", "GET");
  ASSERT_EQ(gets.size(), 2u);
  EXPECT_EQ(gets[0].authorization, "Bearer token");
  EXPECT_TRUE(mirror.requests("/secret", "HEAD").empty());
}

TEST(UpstreamFaults, PassthroughPatternsAreNeverCached) {
  FaultMirror mirror({"--segment-size=1M", "--passthrough=/live/*"});
  mirror.origin.put_object("/live/feed/x.bin", {.size = 5000, .headers = cacheable_headers()});
  get(mirror.url("/live/feed/x.bin?q=1"));
  Response second = get(mirror.url("/live/feed/x.bin?q=1"));
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.body_sha256, pattern_sha256(1, 0, 5000));
  EXPECT_EQ(mirror.requests("/live/feed/x.bin?q=1", "GET").size(), 2u);
}

TEST(UpstreamFaults, UpstreamThatIgnoresRangeIsStreamedThrough) {
  FaultMirror mirror;
  const std::uint64_t size = 3 * kMiB;
  mirror.origin.put_object(
      "/norange", {.size = size, .seed = 5, .headers = cacheable_headers(), .honor_range = false});
  for (int i = 0; i < 2; ++i) {
    Response response = get(mirror.url("/norange"));
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.body_size, size);
    EXPECT_EQ(response.body_sha256, pattern_sha256(5, 0, size));
  }
}

TEST(UpstreamFaults, AnObjectChangingBetweenSegmentsIsNeverServedMixed) {
  FaultMirror mirror({"--segment-size=1M", "--read-ahead=0"});
  const std::uint64_t size = 4 * kMiB;
  mirror.origin.put_object(
      "/moving",
      {.size = size, .seed = 10, .headers = cacheable_headers(), .change_after_gets = 2});

  Response first = get(mirror.url("/moving"));
  bool complete = first.curl_code == 0 && first.body_size == size;
  EXPECT_FALSE(complete && first.body_sha256 != pattern_sha256(10, 0, size))
      << "a complete body must be one version";
  EXPECT_FALSE(complete) << "version 1 cannot be completed once the origin changed";

  Response second = get(mirror.url("/moving"));
  ASSERT_EQ(second.status, 200) << second.error;
  EXPECT_EQ(second.body_sha256, pattern_sha256(11, 0, size));
  EXPECT_EQ(second.header("ETag"), "\"v1-2\"");
  EXPECT_EQ(mirror.requests("/moving", "HEAD").size(), 2u) << "the change refreshed metadata";
}

TEST(UpstreamFaults, AChangeFoundBeforeTheHeaderIsRetriedWithTheNewVersion) {
  FaultMirror mirror;
  const std::uint64_t size = 2 * kMiB;
  mirror.origin.put_object("/flip", {.size = size, .seed = 20, .headers = cacheable_headers()});
  // Metadata cached for version 1, then the origin moves on before any segment is fetched.
  HttpClient client;
  Response head = client.perform(Request{.method = "HEAD", .url = mirror.url("/flip")});
  ASSERT_EQ(head.status, 200);
  mirror.origin.put_object("/flip",
                           {.size = size, .seed = 21, .headers = cacheable_headers("\"v2\"")});
  Response response = get(mirror.url("/flip"));
  ASSERT_EQ(response.status, 200) << response.error;
  EXPECT_EQ(response.body_sha256, pattern_sha256(21, 0, size));
}

TEST(UpstreamFaults, FirstByteArrivesBeforeTheSegmentIsComplete) {
  FaultMirror mirror({"--segment-size=1M", "--read-ahead=0"});
  // 1 MiB at 256 KiB/s: the first segment takes about four seconds to arrive.
  mirror.origin.put_object(
      "/slow",
      {.size = kMiB, .seed = 3, .headers = cacheable_headers(), .bytes_per_second = 256 * 1024});
  Response response = get(mirror.url("/slow"));
  ASSERT_EQ(response.status, 200) << response.error;
  EXPECT_EQ(response.body_sha256, pattern_sha256(3, 0, kMiB));
  EXPECT_GT(response.seconds_total, 2.0);
  EXPECT_LT(response.seconds_to_first_byte, response.seconds_total / 2);
}

TEST(UpstreamFaults, PassthroughStreamsTheFirstByteAtOnce) {
  FaultMirror mirror;
  mirror.origin.put_object("/slow-live", {.size = kMiB,
                                          .seed = 3,
                                          .headers = {{"Cache-Control", "no-store"}},
                                          .bytes_per_second = 256 * 1024});
  Response response = get(mirror.url("/slow-live"));
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.body_sha256, pattern_sha256(3, 0, kMiB));
  EXPECT_LT(response.seconds_to_first_byte, response.seconds_total / 2);
}

TEST(UpstreamFaults, UnreachableUpstreamIs502) {
  std::uint16_t closed = free_port();
  CasseroleNode node(with({}, "http://127.0.0.1:" + std::to_string(closed)));
  HttpClient client;
  Response response = client.perform(Request{.url = node.url() + "/anything"});
  EXPECT_EQ(response.status, 502);
  EXPECT_NE(response.body.find("upstream"), std::string::npos) << response.body;
}

TEST(UpstreamFaults, SlowUpstreamIs504) {
  FaultMirror mirror({"--upstream-timeout=500ms"});
  mirror.origin.put_object(
      "/stuck",
      {.size = 10, .headers = cacheable_headers(), .head_delay = std::chrono::milliseconds(3000)});
  HttpClient client;
  Response response = client.perform(Request{.url = mirror.url("/stuck")});
  EXPECT_EQ(response.status, 504);
  EXPECT_NE(response.body.find("did not answer in time"), std::string::npos) << response.body;
  EXPECT_EQ(response.body.find("header"), std::string::npos)
      << "internal detail: " << response.body;
}

TEST(UpstreamFaults, UpstreamCutMidBodyCutsTheClientAndIsRetriedLater) {
  FaultMirror mirror({"--segment-size=1M", "--read-ahead=0"});
  const std::uint64_t size = 3 * kMiB;
  mirror.origin.put_object(
      "/cut",
      {.size = size, .seed = 6, .headers = cacheable_headers(), .close_after_bytes = 512 * 1024});
  Response broken = get(mirror.url("/cut"));
  EXPECT_TRUE(broken.status != 200 || broken.curl_code != 0 || broken.body_size < size)
      << "a cut upstream must not look like a complete response";

  mirror.origin.put_object("/cut", {.size = size, .seed = 6, .headers = cacheable_headers()});
  Response healed = get(mirror.url("/cut"));
  ASSERT_EQ(healed.status, 200);
  EXPECT_EQ(healed.body_sha256, pattern_sha256(6, 0, size));
}

TEST(UpstreamFaults, StalledUpstreamTimesOutInsteadOfHanging) {
  FaultMirror mirror({"--segment-size=1M", "--upstream-timeout=1s"});
  mirror.origin.put_object(
      "/stall", {.size = 2 * kMiB, .headers = cacheable_headers(), .stall_after_bytes = 1000});
  HttpClient client;
  Response response =
      client.perform(Request{.url = mirror.url("/stall"), .keep_body = false, .timeout_ms = 15000});
  EXPECT_NE(response.curl_code, 28) << "the client's own timeout fired: the node hung";
  EXPECT_LT(response.body_size, 2 * kMiB);
}

TEST(UpstreamFaults, StaleMetadataIsRevalidatedAndKeepsItsSegments) {
  FaultMirror mirror({"--segment-size=1M", "--min-ttl=1s"});
  Headers headers = cacheable_headers();
  headers[0].second = "max-age=2";
  const std::uint64_t size = 2 * kMiB;
  mirror.origin.put_object("/fresh", {.size = size, .seed = 8, .headers = headers});
  ASSERT_EQ(get(mirror.url("/fresh")).body_sha256, pattern_sha256(8, 0, size));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  Response again = get(mirror.url("/fresh"));
  EXPECT_EQ(again.body_sha256, pattern_sha256(8, 0, size));
  EXPECT_EQ(again.header("X-Casserole-Source"), "memory");

  auto heads = mirror.requests("/fresh", "HEAD");
  ASSERT_EQ(heads.size(), 2u);
  EXPECT_EQ(heads[1].if_none_match, "\"v1\"");
  EXPECT_EQ(mirror.requests("/fresh", "GET").size(), 2u) << "segments were fetched again";
}

TEST(UpstreamFaults, StaleObjectsAreServedWhileTheUpstreamIsDown) {
  FaultMirror mirror({"--segment-size=1M", "--min-ttl=1s"});
  Headers headers = cacheable_headers();
  headers[0].second = "max-age=2";
  mirror.origin.put_object("/kept", {.size = 2 * kMiB, .seed = 17, .headers = headers});
  Headers strict = headers;
  strict[0].second = "max-age=2, must-revalidate";
  mirror.origin.put_object("/strict", {.size = 1000, .seed = 18, .headers = strict});
  ASSERT_EQ(get(mirror.url("/kept")).body_sha256, pattern_sha256(17, 0, 2 * kMiB));
  ASSERT_EQ(get(mirror.url("/strict")).status, 200);

  mirror.origin.process().stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  Response kept = get(mirror.url("/kept"));
  EXPECT_EQ(kept.status, 200);
  EXPECT_EQ(kept.body_sha256, pattern_sha256(17, 0, 2 * kMiB));
  EXPECT_EQ(kept.header("X-Casserole-Source"), "memory");
  EXPECT_EQ(get(mirror.url("/strict")).status, 502) << "must-revalidate forbids serving stale";
}

TEST(UpstreamFaults, ConcurrentRequestsForNewMetadataMakeOneHead) {
  FaultMirror mirror;
  mirror.origin.put_object("/popular", {.size = 100000,
                                        .seed = 9,
                                        .headers = cacheable_headers(),
                                        .head_delay = std::chrono::milliseconds(300)});
  std::vector<Response> responses(8);
  std::vector<std::thread> clients;
  for (auto& response : responses) {
    clients.emplace_back([&] { response = get(mirror.url("/popular")); });
  }
  for (auto& client : clients) client.join();
  for (const auto& response : responses) {
    EXPECT_EQ(response.body_sha256, pattern_sha256(9, 0, 100000));
  }
  EXPECT_EQ(mirror.requests("/popular", "HEAD").size(), 1u);
  EXPECT_EQ(mirror.requests("/popular", "GET").size(), 1u);
}

TEST(UpstreamFaults, RequestBodiesAreStreamedToTheUpstreamWithoutHopByHopFields) {
  FaultMirror mirror;
  HttpClient client;
  const std::uint64_t size = 5 * kMiB + 3;
  Response response = client.perform(Request{
      .method = "POST",
      .url = mirror.url("/_echo/upload"),
      .headers = {"Authorization: Basic eDp5", "Connection: keep-alive, X-Hop", "X-Hop: 1",
                  "X-End: 2"},
      .pattern_body = PatternBody{.seed = 13, .size = size},
  });
  ASSERT_EQ(response.status, 200) << response.error;
  auto echo = boost::json::parse(response.body).as_object();
  EXPECT_EQ(echo.at("method").as_string(), "POST");
  EXPECT_EQ(static_cast<std::uint64_t>(echo.at("body_size").as_int64()), size);
  EXPECT_EQ(echo.at("body_sha256").as_string(), pattern_sha256(13, 0, size));
  const auto& headers = echo.at("headers").as_object();
  EXPECT_EQ(headers.at("authorization").as_string(), "Basic eDp5");
  EXPECT_EQ(headers.at("x-end").as_string(), "2");
  EXPECT_FALSE(headers.contains("x-hop"));
}

TEST(UpstreamFaults, ChunkedUpstreamBodyIsRelayed) {
  FaultMirror mirror;
  mirror.origin.put_object("/chunked", {.size = 3 * kMiB,
                                        .seed = 14,
                                        .headers = {{"Cache-Control", "no-store"}},
                                        .head_content_length = false,
                                        .chunked = true});
  Response response = get(mirror.url("/chunked"));
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.body_sha256, pattern_sha256(14, 0, 3 * kMiB));
}

TEST(UpstreamFaults, ObjectsVaryingOnARequestFieldAreCachedOnlyForRequestsWithoutIt) {
  FaultMirror mirror;
  Headers headers = cacheable_headers();
  headers.emplace_back("Vary", "Accept-Language");
  mirror.origin.put_object("/varied", {.size = 5000, .seed = 15, .headers = headers});
  get(mirror.url("/varied"));
  EXPECT_EQ(get(mirror.url("/varied")).header("X-Casserole-Source"), "memory");
  Response variant = get(mirror.url("/varied"), {"Accept-Language: fr"});
  EXPECT_EQ(variant.body_sha256, pattern_sha256(15, 0, 5000));
  auto gets = mirror.requests("/varied", "GET");
  ASSERT_EQ(gets.size(), 2u);
  EXPECT_EQ(gets[1].range, "") << "the variant request went through whole";
}

}  // namespace
}  // namespace casserole::test
