// The caching path against a well-behaved upstream (nginx): exact bytes, one upstream fetch per
// segment, ranges, conditionals, headers, keep-alive and TLS.
#include <strings.h>

#include <algorithm>
#include <set>
#include <thread>

#include "integration/mirror_fixture.hpp"

namespace casserole::test {
namespace {

TEST(Mirror, ColdThenWarmServesExactBytesAndFetchesEachSegmentOnce) {
  NginxMirror mirror;
  const std::uint64_t size = 5 * kMiB + 12345;
  auto path = mirror.put("object.bin", 7, size);

  Response cold = get(mirror.url(path));
  ASSERT_EQ(cold.status, 200) << cold.error;
  EXPECT_EQ(cold.body_size, size);
  EXPECT_EQ(cold.body_sha256, pattern_sha256(7, 0, size));
  EXPECT_EQ(cold.header("X-Casserole-Source"), "upstream");

  Response warm = get(mirror.url(path));
  ASSERT_EQ(warm.status, 200);
  EXPECT_EQ(warm.body_sha256, pattern_sha256(7, 0, size));
  EXPECT_EQ(warm.header("X-Casserole-Source"), "memory");

  auto heads = mirror.upstream_requests(path, "HEAD", 7);
  auto gets = mirror.upstream_requests(path, "GET");
  EXPECT_EQ(heads.size(), 1u);
  ASSERT_EQ(gets.size(), 6u);
  std::set<std::string> ranges;
  for (const auto& entry : gets) {
    EXPECT_EQ(entry.status, 206);
    EXPECT_FALSE(entry.if_match.empty()) << "ranged fetches must pin the version";
    ranges.insert(entry.range);
  }
  EXPECT_EQ(ranges.size(), 6u) << "a segment was fetched twice";
  EXPECT_TRUE(ranges.contains("bytes=0-1048575"));
  EXPECT_TRUE(ranges.contains("bytes=5242880-" + std::to_string(size - 1)));
}

TEST(Mirror, ConcurrentClientsShareOneUpstreamFetchPerSegment) {
  NginxMirror mirror;
  const std::uint64_t size = 8 * kMiB;
  auto path = mirror.put("shared.bin", 11, size);

  std::vector<Response> responses(12);
  std::vector<std::thread> clients;
  for (auto& response : responses) {
    clients.emplace_back([&] { response = get(mirror.url(path)); });
  }
  for (auto& client : clients) client.join();
  for (const auto& response : responses) {
    ASSERT_EQ(response.status, 200) << response.error;
    EXPECT_EQ(response.body_sha256, pattern_sha256(11, 0, size));
  }
  EXPECT_EQ(mirror.upstream_requests(path, "HEAD", 9).size(), 1u);
  EXPECT_EQ(mirror.upstream_requests(path, "GET").size(), 8u);
}

TEST(Mirror, RangeInTheMiddleOfAColdObjectFetchesOnlyItsSegment) {
  NginxMirror mirror;
  const std::uint64_t size = 10 * kMiB;
  auto path = mirror.put("middle.bin", 3, size);

  Response part = get(mirror.url(path), {"Range: bytes=3000000-3100000"});
  ASSERT_EQ(part.status, 206);
  EXPECT_EQ(part.header("Content-Range"), "bytes 3000000-3100000/" + std::to_string(size));
  EXPECT_EQ(part.body_sha256, pattern_sha256(3, 3000000, 100001));

  auto gets = mirror.upstream_requests(path, "GET", 2);
  ASSERT_EQ(gets.size(), 1u);
  EXPECT_EQ(gets[0].range, "bytes=2097152-3145727");
}

TEST(Mirror, SuffixOpenAndUnsatisfiableRanges) {
  NginxMirror mirror;
  const std::uint64_t size = 3 * kMiB + 5;
  auto path = mirror.put("ranges.bin", 5, size);

  Response suffix = get(mirror.url(path), {"Range: bytes=-1000"});
  ASSERT_EQ(suffix.status, 206);
  EXPECT_EQ(suffix.body_sha256, pattern_sha256(5, size - 1000, 1000));

  Response open = get(mirror.url(path), {"Range: bytes=1048000-"});
  ASSERT_EQ(open.status, 206);
  EXPECT_EQ(open.body_sha256, pattern_sha256(5, 1048000, size - 1048000));

  Response beyond = get(mirror.url(path), {"Range: bytes=" + std::to_string(size) + "-"});
  EXPECT_EQ(beyond.status, 416);
  EXPECT_EQ(beyond.header("Content-Range"), "bytes */" + std::to_string(size));

  Response garbage = get(mirror.url(path), {"Range: pages=1-2"});
  EXPECT_EQ(garbage.status, 200) << "an unknown range unit is ignored";
  EXPECT_EQ(garbage.body_sha256, pattern_sha256(5, 0, size));
}

TEST(Mirror, MultipleRangesAreAMultipartBodyWithExactParts) {
  NginxMirror mirror;
  const std::uint64_t size = 4 * kMiB;
  auto path = mirror.put("multi.bin", 9, size);

  HttpClient client;
  Response response = client.perform(
      Request{.url = mirror.url(path), .headers = {"Range: bytes=10-19,2097150-2097160,-5"}});
  ASSERT_EQ(response.status, 206);
  std::string type = response.header("Content-Type");
  ASSERT_EQ(type.rfind("multipart/byteranges; boundary=", 0), 0u) << type;
  std::string boundary = type.substr(type.find('=') + 1);
  EXPECT_EQ(std::stoull(response.header("Content-Length")), response.body.size());

  struct Expected {
    std::uint64_t first, last;
  };
  std::vector<Expected> expected{{10, 19}, {2097150, 2097160}, {size - 5, size - 1}};
  std::size_t position = 0;
  for (const auto& part : expected) {
    position = response.body.find("--" + boundary + "\r\n", position);
    ASSERT_NE(position, std::string::npos);
    std::string range_field = "Content-Range: bytes " + std::to_string(part.first) + "-" +
                              std::to_string(part.last) + "/" + std::to_string(size);
    std::size_t headers_end = response.body.find("\r\n\r\n", position);
    ASSERT_NE(response.body.substr(position, headers_end - position).find(range_field),
              std::string::npos);
    std::uint64_t length = part.last - part.first + 1;
    std::vector<std::uint8_t> bytes(length);
    fill_pattern(9, part.first, bytes);
    EXPECT_EQ(response.body.substr(headers_end + 4, length),
              std::string(bytes.begin(), bytes.end()));
    position = headers_end + 4 + length;
  }
  EXPECT_EQ(response.body.substr(position), "\r\n--" + boundary + "--\r\n");
}

TEST(Mirror, ConditionalRequests) {
  NginxMirror mirror;
  auto path = mirror.put("conditional.bin", 2, 100000);
  Response first = get(mirror.url(path));
  ASSERT_EQ(first.status, 200);
  std::string etag = first.header("ETag");
  std::string last_modified = first.header("Last-Modified");
  ASSERT_FALSE(etag.empty());

  Response not_modified = get(mirror.url(path), {"If-None-Match: " + etag});
  EXPECT_EQ(not_modified.status, 304);
  EXPECT_EQ(not_modified.header("ETag"), etag);
  EXPECT_EQ(not_modified.body_size, 0u);

  EXPECT_EQ(get(mirror.url(path), {"If-None-Match: W/" + etag}).status, 304);
  EXPECT_EQ(get(mirror.url(path), {"If-None-Match: \"other\""}).status, 200);
  EXPECT_EQ(get(mirror.url(path), {"If-Modified-Since: " + last_modified}).status, 304);
  EXPECT_EQ(get(mirror.url(path), {"If-Match: \"other\""}).status, 412);

  Response if_range = get(mirror.url(path), {"Range: bytes=0-9", "If-Range: " + etag});
  EXPECT_EQ(if_range.status, 206);
  Response stale_if_range = get(mirror.url(path), {"Range: bytes=0-9", "If-Range: \"old\""});
  EXPECT_EQ(stale_if_range.status, 200);
  EXPECT_EQ(stale_if_range.body_size, 100000u);
}

TEST(Mirror, HeadAnswersFromMetadataWithoutFetchingTheBody) {
  NginxMirror mirror;
  auto path = mirror.put("head.bin", 4, 3 * kMiB);
  HttpClient client;
  Response head = client.perform(Request{.method = "HEAD", .url = mirror.url(path)});
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("Content-Length"), std::to_string(3 * kMiB));
  EXPECT_EQ(head.header("Accept-Ranges"), "bytes");
  EXPECT_EQ(mirror.upstream_requests(path, "HEAD", 1).size(), 1u);
  EXPECT_TRUE(mirror.upstream_requests(path, "GET").empty());
}

TEST(Mirror, ResponsesCarryEntityFieldsAgeDateAndSource) {
  NginxMirror mirror({"--segment-size=1M"}, {.location_config = "expires 1h; types { } "
                                                                "default_type text/x-test;"});
  auto path = mirror.put("fields.bin", 6, 1000);
  Response response = get(mirror.url(path));
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.header("Content-Type"), "text/x-test");
  EXPECT_EQ(response.header("Cache-Control"), "max-age=3600");
  EXPECT_FALSE(response.header("Expires").empty());
  EXPECT_FALSE(response.header("ETag").empty());
  EXPECT_FALSE(response.header("Last-Modified").empty());
  EXPECT_FALSE(response.header("Date").empty());
  EXPECT_EQ(response.header("Content-Length"), "1000");
  EXPECT_EQ(response.header("Age"), "0");
  EXPECT_EQ(response.header("X-Casserole-Source"), "upstream");
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  Response later = get(mirror.url(path));
  EXPECT_GE(std::stoi(later.header("Age")), 2);
  EXPECT_EQ(later.header("X-Casserole-Source"), "memory");
}

TEST(Mirror, KeepAliveServesManyRequestsOnOneConnection) {
  NginxMirror mirror;
  auto path = mirror.put("keepalive.bin", 8, 2 * kMiB + 1);
  HttpClient client;
  for (int i = 0; i < 5; ++i) {
    Response response = client.perform(Request{.url = mirror.url(path), .keep_body = false});
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.body_sha256, pattern_sha256(8, 0, 2 * kMiB + 1));
  }
  EXPECT_EQ(client.connections_opened(), 1);
}

// A client that reads slower than the node sends fills the socket's buffer, so each segment goes
// out in many partial writes; the connection then serves the next request.
TEST(Mirror, SlowReaderGetsExactBytesAndKeepsItsConnection) {
  NginxMirror mirror;
  const std::uint64_t size = 24 * kMiB + 7;
  auto path = mirror.put("slow.bin", 12, size);
  ASSERT_EQ(get(mirror.url(path)).status, 200);

  HttpClient client;
  for (int i = 0; i < 2; ++i) {
    Response response = client.perform(
        Request{.url = mirror.url(path), .keep_body = false, .max_bytes_per_second = 32 * kMiB});
    ASSERT_EQ(response.status, 200) << response.error;
    EXPECT_EQ(response.header("X-Casserole-Source"), "memory");
    EXPECT_EQ(response.body_sha256, pattern_sha256(12, 0, size));
  }
  EXPECT_EQ(client.connections_opened(), 1);
}

TEST(Mirror, UpstreamErrorsArePassedOnAsTheyAre) {
  NginxMirror mirror;
  Response missing = get(mirror.url("/does-not-exist"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_GT(missing.body_size, 0u);
  // Passed through with the node's own Date, Connection and source fields in place of the
  // upstream's, never beside them.
  for (const char* name : {"Date", "Connection", "X-Casserole-Source", "Content-Length"}) {
    EXPECT_EQ(std::count_if(
                  missing.headers.begin(), missing.headers.end(),
                  [&](const auto& field) { return strcasecmp(field.first.c_str(), name) == 0; }),
              1)
        << name;
  }
}

TEST(Mirror, EmptyObject) {
  NginxMirror mirror;
  auto path = mirror.put("empty.bin", 1, 0);
  Response response = get(mirror.url(path));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body_size, 0u);
  EXPECT_EQ(response.header("Content-Length"), "0");
}

TEST(Mirror, ReadAheadKeepsTheNextSegmentsInFlight) {
  // Segments larger than what socket buffers absorb, so the client's stop holds the node in
  // segment 0.
  const std::uint64_t segment = 16 * kMiB;
  NginxMirror mirror({"--segment-size=16M", "--read-ahead=2"});
  auto path = mirror.put("ahead.bin", 15, 6 * segment);
  HttpClient client;
  Response partial = client.perform(
      Request{.url = mirror.url(path), .keep_body = false, .abort_after_bytes = 100000});
  EXPECT_NE(partial.curl_code, 0) << "the client stopped early";
  // The client read part of segment 0; segments 1 and 2 were fetched ahead of it, 3-5 were not.
  auto gets = mirror.upstream_requests(path, "GET", 4);
  std::set<std::string> ranges;
  for (const auto& entry : gets) ranges.insert(entry.range);
  EXPECT_EQ(ranges.size(), 3u);
  EXPECT_TRUE(ranges.contains("bytes=" + std::to_string(2 * segment) + "-" +
                              std::to_string(3 * segment - 1)));
}

TEST(Mirror, AccessLogHasOneLinePerRequest) {
  NginxMirror mirror;
  auto path = mirror.put("logged.bin", 16, 1234);
  get(mirror.url(path));
  get(mirror.url(path));
  // The line is written once the response is out, which may be just after the client has it.
  std::string log;
  for (int i = 0; i < 50 && log.find("ms memory") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    log = mirror.node.log();
  }
  EXPECT_NE(log.find("\"GET " + path + "\" 200 1234 "), std::string::npos) << log;
  EXPECT_NE(log.find("ms upstream"), std::string::npos) << log;
  EXPECT_NE(log.find("ms memory"), std::string::npos) << log;
}

TEST(Mirror, HttpsUpstreamIsVerified) {
  NginxOrigin origin({.tls = true});
  write_pattern_file(origin.docroot() / "tls.bin", 12, 3 * kMiB);
  const std::string expected = pattern_sha256(12, 0, 3 * kMiB);

  CasseroleNode trusted(
      with({"--segment-size=1M", "--upstream-ca-file=" + origin.ca_file()}, origin.url()));
  Response ok = get(trusted.url() + "/tls.bin");
  EXPECT_EQ(ok.status, 200) << ok.error;
  EXPECT_EQ(ok.body_sha256, expected);

  CasseroleNode untrusted(with({"--segment-size=1M"}, origin.url()));
  Response refused = get(untrusted.url() + "/tls.bin");
  EXPECT_EQ(refused.status, 502);

  CasseroleNode insecure(with({"--segment-size=1M", "--upstream-insecure"}, origin.url()));
  Response unverified = get(insecure.url() + "/tls.bin");
  EXPECT_EQ(unverified.status, 200);
  EXPECT_EQ(unverified.body_sha256, expected);
}

}  // namespace
}  // namespace casserole::test
