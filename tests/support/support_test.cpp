// Tests of the test tooling itself: if these fail, no other integration test result means much.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <iterator>
#include <vector>

#include "support/fault_origin.hpp"
#include "support/http_client.hpp"
#include "support/nginx_origin.hpp"
#include "support/object_spec.hpp"
#include "support/pattern.hpp"
#include "support/ports.hpp"
#include "support/process.hpp"
#include "support/raw_connection.hpp"
#include "support/sha256.hpp"
#include "support/temp_dir.hpp"

namespace casserole::test {
namespace {

using namespace std::chrono_literals;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

TEST(Sha256Test, KnownVector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 pieces;
  pieces.update("a", 1);
  pieces.update("bc", 2);
  EXPECT_EQ(pieces.hex_final(), sha256_hex("abc"));
}

TEST(PatternTest, AnyOffsetMatchesTheAlignedBytes) {
  std::vector<std::uint8_t> whole(100);
  fill_pattern(3, 0, whole);
  for (std::uint64_t offset : {1, 7, 8, 13, 64}) {
    std::vector<std::uint8_t> part(100 - offset);
    fill_pattern(3, offset, part);
    EXPECT_TRUE(std::equal(part.begin(), part.end(), whole.begin() + offset)) << offset;
  }
  std::vector<std::uint8_t> other_seed(100);
  fill_pattern(4, 0, other_seed);
  EXPECT_NE(whole, other_seed);
}

TEST(PatternTest, RangeDigestMatchesWrittenFile) {
  TempDir dir;
  const auto file = dir.path() / "object";
  constexpr std::uint64_t kSize = 3 * 1024 * 1024 + 13;
  write_pattern_file(file, 9, kSize);
  const std::string bytes = read_file(file);
  ASSERT_EQ(bytes.size(), kSize);
  EXPECT_EQ(pattern_sha256(9, 0, kSize), sha256_hex(bytes));
  EXPECT_EQ(pattern_sha256(9, 1234567, 1500001),
            sha256_hex(std::string_view(bytes).substr(1234567, 1500001)));
}

TEST(ObjectSpecTest, JsonRoundTripKeepsEveryField) {
  const ObjectSpec spec{.size = 5,
                        .seed = 6,
                        .headers = {{"ETag", "\"e\""}},
                        .get_headers = {{"Set-Cookie", "a=b"}},
                        .interim = {100, 103},
                        .status = 404,
                        .head_status = 403,
                        .required_query = "sig=1",
                        .honor_range = false,
                        .head_content_length = false,
                        .chunked = true,
                        .first_byte_delay = 7ms,
                        .head_delay = 8ms,
                        .bytes_per_second = 9,
                        .stall_after_bytes = 10,
                        .close_after_bytes = 0,
                        .change_after_gets = 11,
                        .changed_size = 12};
  EXPECT_EQ(to_json(parse_object_spec(to_json(spec))), to_json(spec));
  const ObjectSpec defaults = parse_object_spec(R"({"size": 1})");
  EXPECT_EQ(to_json(defaults), to_json(ObjectSpec{.size = 1}));
  EXPECT_FALSE(defaults.stall_after_bytes);
  EXPECT_THROW(parse_object_spec(R"({"size": -1})"), std::invalid_argument);
  EXPECT_THROW(parse_object_spec(R"({"size": 1, "interim": [101]})"), std::invalid_argument);
  EXPECT_THROW(parse_object_spec(R"({"size": 1, "interim": [200]})"), std::invalid_argument);
}

TEST(TempDirTest, RemovesEverythingOnDestruction) {
  std::filesystem::path path;
  {
    TempDir dir;
    path = dir.path();
    std::filesystem::create_directories(path / "a" / "b");
    std::ofstream(path / "a" / "b" / "file") << "x";
    ASSERT_TRUE(std::filesystem::is_directory(path));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(ProcessTest, ReportsExitCodeAndOutput) {
  TempDir dir;
  Process process({"sh", "-c", "echo \"out $GREETING\"; echo err >&2; exit 3"}, dir.path() / "log",
                  {{"GREETING", "hello"}});
  EXPECT_EQ(process.wait_exit(5s), 3);
  EXPECT_FALSE(process.running());
  EXPECT_EQ(process.log(), "out hello\nerr\n");
}

TEST(ProcessTest, StopEndsALongRunningProcess) {
  TempDir dir;
  Process process({"sleep", "30"}, dir.path() / "log");
  EXPECT_TRUE(process.running());
  EXPECT_FALSE(process.wait_exit(20ms));
  const auto start = std::chrono::steady_clock::now();
  process.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_FALSE(process.running());
  EXPECT_EQ(process.wait_exit(0ms), 128 + SIGTERM);
}

TEST(ProcessTest, MissingProgramThrows) {
  TempDir dir;
  EXPECT_THROW(Process({"/nonexistent/program"}, dir.path() / "log"), std::system_error);
}

TEST(PortsTest, FreePortIsNotListening) {
  const std::uint16_t port = free_port();
  EXPECT_NE(port, 0);
  EXPECT_FALSE(wait_for_port(port, 30ms));
}

TEST(NginxOriginTest, ServesFileAndRangeAndLogsThem) {
  NginxOrigin origin;
  constexpr std::uint64_t kSize = 1024 * 1024;
  write_pattern_file(origin.docroot() / "blob.bin", 5, kSize);
  HttpClient client;
  const Response whole = client.perform({.url = origin.url() + "/blob.bin", .keep_body = false});
  EXPECT_EQ(whole.status, 200);
  EXPECT_EQ(whole.body_size, kSize);
  EXPECT_TRUE(whole.body.empty());
  EXPECT_EQ(whole.body_sha256, pattern_sha256(5, 0, kSize));
  EXPECT_EQ(whole.header("cache-control"), "max-age=3600");

  const Response part = client.perform({.url = origin.url() + "/blob.bin?v=1",
                                        .headers = {"Range: bytes=1000-1999", "If-Match: *"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.header("Content-Range"), "bytes 1000-1999/1048576");
  EXPECT_EQ(part.body_sha256, pattern_sha256(5, 1000, 1000));
  EXPECT_EQ(client.connections_opened(), 1);

  const auto log = origin.wait_for_access_log(2);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].method, "GET");
  EXPECT_EQ(log[0].uri, "/blob.bin");
  EXPECT_EQ(log[0].range, "");
  EXPECT_EQ(log[0].status, 200);
  EXPECT_EQ(log[0].bytes, kSize);
  EXPECT_EQ(log[1].uri, "/blob.bin?v=1");
  EXPECT_EQ(log[1].range, "bytes=1000-1999");
  EXPECT_EQ(log[1].if_match, "*");
  EXPECT_EQ(log[1].status, 206);
  EXPECT_EQ(log[1].bytes, 1000u);
}

TEST(NginxOriginTest, TlsIsVerifiedWithItsCa) {
  NginxOrigin origin({.tls = true});
  std::ofstream(origin.docroot() / "hello.txt") << "hello";
  ASSERT_TRUE(origin.url().starts_with("https://"));
  HttpClient client;
  const Response trusted =
      client.perform({.url = origin.url() + "/hello.txt", .ca_file = origin.ca_file()});
  EXPECT_EQ(trusted.curl_code, 0) << trusted.error;
  EXPECT_EQ(trusted.status, 200);
  EXPECT_EQ(trusted.body, "hello");
  const Response untrusted = client.perform({.url = origin.url() + "/hello.txt"});
  EXPECT_NE(untrusted.curl_code, 0);
  EXPECT_EQ(untrusted.status, 0);
}

class FaultOriginTest : public ::testing::Test {
 protected:
  std::string url(const std::string& path) const { return origin_.url() + path; }

  FaultOrigin origin_;
  HttpClient client_;
};

TEST_F(FaultOriginTest, ServesRangesAndRejectsUnsatisfiableOnes) {
  origin_.put_object("/obj", {.size = 10000, .seed = 2, .headers = {{"ETag", "\"v1\""}}});
  const Response whole = client_.perform({.url = url("/obj")});
  EXPECT_EQ(whole.status, 200);
  EXPECT_EQ(whole.header("Content-Length"), "10000");
  EXPECT_EQ(whole.header("Accept-Ranges"), "bytes");
  EXPECT_EQ(whole.header("ETag"), "\"v1\"");
  EXPECT_TRUE(whole.has_header("Date"));
  EXPECT_EQ(whole.body_sha256, pattern_sha256(2, 0, 10000));

  const struct {
    const char* range;
    const char* content_range;
    std::uint64_t first, length;
  } cases[] = {{"bytes=100-199", "bytes 100-199/10000", 100, 100},
               {"bytes=9990-", "bytes 9990-9999/10000", 9990, 10},
               {"bytes=-5", "bytes 9995-9999/10000", 9995, 5},
               {"bytes=9000-20000", "bytes 9000-9999/10000", 9000, 1000}};
  for (const auto& c : cases) {
    const Response part =
        client_.perform({.url = url("/obj"), .headers = {std::string("Range: ") + c.range}});
    EXPECT_EQ(part.status, 206) << c.range;
    EXPECT_EQ(part.header("Content-Range"), c.content_range);
    EXPECT_EQ(part.body_sha256, pattern_sha256(2, c.first, c.length)) << c.range;
  }
  const Response unsatisfiable =
      client_.perform({.url = url("/obj"), .headers = {"Range: bytes=10000-"}});
  EXPECT_EQ(unsatisfiable.status, 416);
  EXPECT_EQ(unsatisfiable.header("Content-Range"), "bytes */10000");
  const Response several =
      client_.perform({.url = url("/obj"), .headers = {"Range: bytes=0-1,5-6"}});
  EXPECT_EQ(several.status, 200);
  EXPECT_EQ(several.body_size, 10000u);
  EXPECT_EQ(client_.connections_opened(), 1);
}

TEST_F(FaultOriginTest, IgnoresRangeWhenToldTo) {
  origin_.put_object("/obj", {.size = 5000, .honor_range = false});
  const Response response = client_.perform({.url = url("/obj"), .headers = {"Range: bytes=0-99"}});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body_sha256, pattern_sha256(1, 0, 5000));
  EXPECT_FALSE(response.has_header("Accept-Ranges"));
}

TEST_F(FaultOriginTest, EvaluatesConditionals) {
  const std::string modified = "Tue, 01 Oct 2024 10:00:00 GMT";
  origin_.put_object("/obj",
                     {.size = 100, .headers = {{"ETag", "\"v1\""}, {"Last-Modified", modified}}});
  EXPECT_EQ(client_.perform({.url = url("/obj"), .headers = {"If-Match: \"v2\""}}).status, 412);
  EXPECT_EQ(client_.perform({.url = url("/obj"), .headers = {"If-Match: W/\"v1\""}}).status, 412);
  EXPECT_EQ(client_
                .perform({.url = url("/obj"),
                          .headers = {"If-Match: \"v0\", \"v1\"", "Range: bytes=0-9"}})
                .status,
            206);
  EXPECT_EQ(client_
                .perform({.url = url("/obj"),
                          .headers = {"If-Unmodified-Since: Tue, 01 Oct 2024 09:59:59 GMT"}})
                .status,
            412);
  EXPECT_EQ(
      client_.perform({.url = url("/obj"), .headers = {"If-Unmodified-Since: " + modified}}).status,
      200);
  const Response not_modified =
      client_.perform({.url = url("/obj"), .headers = {"If-None-Match: W/\"v1\""}});
  EXPECT_EQ(not_modified.status, 304);
  EXPECT_EQ(not_modified.header("ETag"), "\"v1\"");
  EXPECT_EQ(
      client_.perform({.url = url("/obj"), .headers = {"If-Modified-Since: " + modified}}).status,
      304);
  EXPECT_EQ(client_
                .perform({.url = url("/obj"),
                          .headers = {"If-Modified-Since: Tue, 01 Oct 2024 09:00:00 GMT"}})
                .status,
            200);
}

TEST_F(FaultOriginTest, ChangesVersionAfterGets) {
  origin_.put_object(
      "/obj", {.size = 1000,
               .seed = 7,
               .headers = {{"ETag", "\"v1\""}, {"Last-Modified", "Tue, 01 Oct 2024 10:00:00 GMT"}},
               .change_after_gets = 2});
  for (int i = 0; i < 2; ++i) {
    const Response response =
        client_.perform({.url = url("/obj"), .headers = {"Range: bytes=0-9"}});
    EXPECT_EQ(response.header("ETag"), "\"v1\"");
    EXPECT_EQ(response.body_sha256, pattern_sha256(7, 0, 10));
  }
  const Response changed = client_.perform({.url = url("/obj")});
  EXPECT_EQ(changed.header("ETag"), "\"v1-2\"");
  EXPECT_EQ(changed.header("Last-Modified"), "Tue, 01 Oct 2024 11:00:00 GMT");
  EXPECT_EQ(changed.body_sha256, pattern_sha256(8, 0, 1000));
  EXPECT_EQ(client_.perform({.url = url("/obj"), .headers = {"If-Match: \"v1\""}}).status, 412);
  const Response head = client_.perform({.method = "HEAD", .url = url("/obj")});
  EXPECT_EQ(head.header("ETag"), "\"v1-2\"");
  EXPECT_EQ(head.header("Content-Length"), "1000");
}

TEST_F(FaultOriginTest, HeadCanOmitContentLengthAndBodiesCanBeChunked) {
  origin_.put_object("/obj", {.size = 200000, .head_content_length = false, .chunked = true});
  const Response head = client_.perform({.method = "HEAD", .url = url("/obj")});
  EXPECT_EQ(head.status, 200);
  EXPECT_FALSE(head.has_header("Content-Length"));
  const Response get = client_.perform({.url = url("/obj")});
  EXPECT_EQ(get.curl_code, 0) << get.error;
  EXPECT_FALSE(get.has_header("Content-Length"));
  EXPECT_EQ(get.header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(get.body_sha256, pattern_sha256(1, 0, 200000));
  EXPECT_EQ(client_.connections_opened(), 1);
}

TEST_F(FaultOriginTest, OtherStatusesAndPaths) {
  origin_.put_object("/gone", {.size = 10, .status = 410});
  EXPECT_EQ(client_.perform({.url = url("/gone"), .headers = {"Range: bytes=0-1"}}).status, 410);
  EXPECT_EQ(client_.perform({.url = url("/missing")}).status, 404);
  EXPECT_EQ(client_.perform({.method = "POST", .url = url("/gone"), .body = "x"}).status, 405);
  origin_.put_object("/q", {.size = 10});
  EXPECT_EQ(client_.perform({.url = url("/q?anything=1")}).status, 200);
}

TEST_F(FaultOriginTest, EchoReportsWhatItReceived) {
  const Response response =
      client_.perform({.method = "PUT",
                       .url = url("/_echo/upload?x=1"),
                       .headers = {"Authorization: Bearer t", "X-Custom: a"},
                       .pattern_body = PatternBody{.seed = 4, .size = 3000000}});
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.header("Cache-Control"), "no-store");
  const auto reply = boost::json::parse(response.body).as_object();
  EXPECT_EQ(reply.at("method").as_string(), "PUT");
  EXPECT_EQ(reply.at("target").as_string(), "/_echo/upload?x=1");
  EXPECT_EQ(reply.at("body_size").to_number<std::uint64_t>(), 3000000u);
  EXPECT_EQ(reply.at("body_sha256").as_string(), pattern_sha256(4, 0, 3000000));
  const auto& headers = reply.at("headers").as_object();
  EXPECT_EQ(headers.at("authorization").as_string(), "Bearer t");
  EXPECT_EQ(headers.at("x-custom").as_string(), "a");
  EXPECT_EQ(headers.at("content-length").as_string(), "3000000");

  const Response small = client_.perform({.method = "POST", .url = url("/_echo"), .body = "hello"});
  const auto small_reply = boost::json::parse(small.body).as_object();
  EXPECT_EQ(small_reply.at("body_sha256").as_string(), sha256_hex("hello"));
  EXPECT_EQ(client_.connections_opened(), 1);
}

TEST_F(FaultOriginTest, LogListsRequestsInOrder) {
  origin_.put_object("/obj", {.size = 100});
  client_.perform({.url = url("/obj"), .headers = {"Range: bytes=0-9", "If-Match: \"a\""}});
  client_.perform({.method = "HEAD",
                   .url = url("/other?q=1"),
                   .headers = {"If-Unmodified-Since: x", "If-None-Match: \"b\"",
                               "If-Modified-Since: y", "Authorization: Basic z"}});
  const auto log = origin_.requests();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].method, "GET");
  EXPECT_EQ(log[0].target, "/obj");
  EXPECT_EQ(log[0].range, "bytes=0-9");
  EXPECT_EQ(log[0].if_match, "\"a\"");
  EXPECT_EQ(log[0].authorization, "");
  EXPECT_EQ(log[1].method, "HEAD");
  EXPECT_EQ(log[1].target, "/other?q=1");
  EXPECT_EQ(log[1].if_unmodified_since, "x");
  EXPECT_EQ(log[1].if_none_match, "\"b\"");
  EXPECT_EQ(log[1].if_modified_since, "y");
  EXPECT_EQ(log[1].authorization, "Basic z");
  origin_.clear_log();
  EXPECT_TRUE(origin_.requests().empty());
}

TEST_F(FaultOriginTest, ThrottlesDelaysAndHeadDelays) {
  origin_.put_object("/slow", {.size = 100000, .bytes_per_second = 250000});
  const Response slow = client_.perform({.url = url("/slow")});
  EXPECT_EQ(slow.body_sha256, pattern_sha256(1, 0, 100000));
  EXPECT_GE(slow.seconds_total, 0.4);
  EXPECT_LT(slow.seconds_total, 1.5);

  origin_.put_object("/late", {.size = 10, .first_byte_delay = 200ms, .head_delay = 100ms});
  const Response late = client_.perform({.url = url("/late")});
  EXPECT_GE(late.seconds_to_first_byte, 0.2);
  const Response head = client_.perform({.method = "HEAD", .url = url("/late")});
  EXPECT_GE(head.seconds_total, 0.1);
  EXPECT_LT(head.seconds_total, 0.2);
}

TEST_F(FaultOriginTest, CloseAfterBytesCutsTheTransfer) {
  origin_.put_object("/cut", {.size = 100000, .close_after_bytes = 30000});
  const Response response = client_.perform({.url = url("/cut")});
  EXPECT_NE(response.curl_code, 0);
  EXPECT_EQ(response.body_size, 30000u);
  EXPECT_EQ(response.body_sha256, pattern_sha256(1, 0, 30000));
}

TEST_F(FaultOriginTest, StallAfterBytesLeavesTheClientWaiting) {
  origin_.put_object("/stall", {.size = 100000, .stall_after_bytes = 1000});
  const Response response = client_.perform({.url = url("/stall"), .timeout_ms = 300});
  EXPECT_NE(response.curl_code, 0);
  EXPECT_EQ(response.body_size, 1000u);
  EXPECT_GE(response.seconds_total, 0.29);
}

TEST_F(FaultOriginTest, ClientCanAbortAfterSomeBytes) {
  origin_.put_object("/obj", {.size = 1000000});
  const Response response = client_.perform({.url = url("/obj"), .abort_after_bytes = 4096});
  EXPECT_NE(response.curl_code, 0);
  EXPECT_EQ(response.body_size, 4096u);
  EXPECT_EQ(client_.perform({.url = url("/obj")}).body_size, 1000000u);
}

TEST_F(FaultOriginTest, MalformedRequestGets400AndClose) {
  const std::string reply = raw_exchange(origin_.port(), "NOT HTTP AT ALL\r\n\r\n", 2s);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 400")) << reply;
  EXPECT_NE(reply.find("Connection: close"), std::string::npos) << reply;
}

TEST_F(FaultOriginTest, RejectsBadSpecs) {
  const Response response = client_.perform(
      {.method = "PUT", .url = url("/_control/objects?path=/x"), .body = "{\"seed\": 1}"});
  EXPECT_EQ(response.status, 400);
  EXPECT_NE(response.body.find("size"), std::string::npos);
}

}  // namespace
}  // namespace casserole::test
