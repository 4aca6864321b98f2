// What a node exposed to anyone must hold against: targets that climb out of the mirrored root,
// upstream interim answers, request smuggling, lenient parsing, clients that never read or never
// finish a header, and running out of descriptors. Each test is a probe that once succeeded.
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "integration/mirror_fixture.hpp"
#include "support/sha256.hpp"

namespace casserole::test {
namespace {

using namespace std::chrono_literals;

int status_of(std::string_view reply) {
  if (!reply.starts_with("HTTP/1.1 ") || reply.size() < 12) return 0;
  return std::stoi(std::string(reply.substr(9, 3)));
}

std::size_t count(std::string_view haystack, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

std::string body_of(std::string_view reply) {
  const auto end = reply.find("\r\n\r\n");
  return end == std::string_view::npos ? std::string() : std::string(reply.substr(end + 4));
}

std::string request(std::string_view target, std::string_view extra = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: casserole\r\n" + std::string(extra) +
         "Connection: close\r\n\r\n";
}

TEST(Exposure, TargetsNeverLeaveTheMirroredRoot) {
  NginxOrigin origin;
  std::filesystem::create_directories(origin.docroot() / "mirror");
  std::filesystem::create_directories(origin.docroot() / "secret");
  write_pattern_file(origin.docroot() / "mirror" / "pub.bin", 1, 1000);
  write_pattern_file(origin.docroot() / "secret" / "x", 2, 1000);
  CasseroleNode node(with({"--segment-size=1M"}, origin.url() + "/mirror"));

  for (std::string_view target :
       {"/../secret/x", "/%2e%2e/secret/x", "/..%2fsecret/x", "/a/../../secret/x",
        "/%2E%2E%2Fsecret%2Fx", "/.%2e/secret/x", "/pub.bin/../../secret/x", "/..;/secret/x",
        "/a%5c..%5c..%5csecret/x", "/%00/../x"}) {
    const std::string reply = raw_exchange(node.port(), request(target), 5s);
    EXPECT_EQ(status_of(reply), 400) << target << " -> " << reply.substr(0, 200);
  }
  // The same object however it is spelt: one upstream fetch, under the root.
  for (std::string_view target :
       {"/pub.bin", "/a/../pub.bin", "/./pub.bin", "/%70ub.bin", "/x/./y/../../pub.bin"}) {
    const std::string reply = raw_exchange(node.port(), request(target), 5s);
    EXPECT_EQ(status_of(reply), 200) << target << " -> " << reply.substr(0, 200);
    EXPECT_EQ(sha256_hex(body_of(reply)), pattern_sha256(1, 0, 1000)) << target;
  }
  std::size_t gets = 0;
  for (const auto& entry : origin.wait_for_access_log(2)) {
    EXPECT_EQ(entry.uri, "/mirror/pub.bin") << "the upstream was asked for " << entry.uri;
    gets += entry.method == "GET";
  }
  EXPECT_EQ(gets, 1u) << "five spellings of one path are one object";
}

// The first answer on a pooled upstream connection is preceded by 103: were it taken for the
// final one, the real answer would stay unread and reach whoever uses the connection next.
TEST(Exposure, InterimAnswersNeverReachAnotherClient) {
  FaultMirror mirror({"--segment-size=1M", "--upstream-max-idle=1"});
  mirror.origin.put_object("/mine", {.size = 5000, .seed = 1, .interim = {103}});
  mirror.origin.put_object("/yours", {.size = 7000, .seed = 2, .interim = {100, 103}});
  for (int round = 0; round < 5; ++round) {
    HttpClient alice;
    HttpClient bob;
    const Response a = alice.perform(
        Request{.url = mirror.url("/mine"), .headers = {"Authorization: Bearer alice"}});
    const Response b =
        bob.perform(Request{.url = mirror.url("/yours"), .headers = {"Authorization: Bearer bob"}});
    EXPECT_EQ(a.status, 200) << a.error;
    EXPECT_EQ(a.body_sha256, pattern_sha256(1, 0, 5000)) << "round " << round;
    EXPECT_EQ(b.status, 200) << b.error;
    EXPECT_EQ(b.body_sha256, pattern_sha256(2, 0, 7000)) << "round " << round;
  }
}

TEST(Exposure, InterimAnswersAreReadPastOnEveryUpstreamRead) {
  FaultMirror mirror({"--segment-size=1M"});
  mirror.origin.put_object(
      "/cached", {.size = 3 * kMiB, .seed = 3, .headers = cacheable_headers(), .interim = {103}});
  for (int i = 0; i < 2; ++i) {
    const Response response = get(mirror.url("/cached"));
    EXPECT_EQ(response.status, 200) << response.error;
    EXPECT_EQ(response.body_sha256, pattern_sha256(3, 0, 3 * kMiB));
  }
  EXPECT_EQ(mirror.requests("/cached", "GET").size(), 3u) << "three segments, fetched once";
}

TEST(Exposure, EarlyHintsAreRelayedToHttp11ClientsOnly) {
  FaultMirror mirror;
  mirror.origin.put_object("/hinted", {.size = 100, .seed = 4, .interim = {103}});
  const std::string reply =
      raw_exchange(mirror.node.port(), request("/hinted", "Authorization: Bearer x\r\n"), 5s);
  EXPECT_EQ(status_of(reply), 103) << reply.substr(0, 300);
  EXPECT_NE(reply.find("</hint.css>; rel=preload"), std::string::npos) << reply.substr(0, 300);
  EXPECT_EQ(count(reply, "HTTP/1.1 200 "), 1u) << reply.substr(0, 300);

  const std::string old = raw_exchange(
      mirror.node.port(), "GET /hinted HTTP/1.0\r\nAuthorization: Bearer x\r\n\r\n", 5s);
  EXPECT_EQ(old.find(" 103 "), std::string::npos) << old.substr(0, 300);
  EXPECT_NE(old.find(" 200 "), std::string::npos) << old.substr(0, 300);
}

TEST(Exposure, TransferCodingsThatAreNotFinallyChunkedAreRefused) {
  FaultMirror mirror;
  const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: casserole\r\n\r\n";
  for (std::string_view coding :
       {"xchunked", "chunked, identity", "identity", "chunked, chunked"}) {
    const std::string reply = raw_exchange(
        mirror.node.port(),
        "POST /_echo HTTP/1.1\r\nHost: casserole\r\nTransfer-Encoding: " + std::string(coding) +
            "\r\n\r\n" + smuggled,
        5s);
    EXPECT_EQ(status_of(reply), 400) << coding << " -> " << reply.substr(0, 200);
    EXPECT_EQ(count(reply, "HTTP/1.1 "), 1u) << "a second request was read: " << reply;
  }
  const std::string old = raw_exchange(
      mirror.node.port(),
      "POST /_echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled, 5s);
  EXPECT_EQ(old.rfind("HTTP/1.1 400", 0), 0u) << old.substr(0, 200);
  // A coding the node would have to relay undecoded is refused, never dropped.
  const std::string gzip =
      raw_exchange(mirror.node.port(),
                   "POST /_echo HTTP/1.1\r\nHost: casserole\r\nTransfer-Encoding: gzip, chunked\r\n"
                   "Connection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                   5s);
  EXPECT_EQ(status_of(gzip), 501) << gzip.substr(0, 200);
  for (const auto& logged : mirror.origin.requests()) {
    ADD_FAILURE() << "reached the upstream: " << logged.method << " " << logged.target;
  }
  // Chunked as the last coding is fine.
  const std::string chunked =
      raw_exchange(mirror.node.port(),
                   "POST /_echo HTTP/1.1\r\nHost: casserole\r\nTransfer-Encoding: chunked\r\n"
                   "Connection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                   5s);
  EXPECT_EQ(status_of(chunked), 200) << chunked.substr(0, 200);
  EXPECT_NE(chunked.find(sha256_hex("hello")), std::string::npos) << chunked;
}

TEST(Exposure, RequestsWithoutOneValidHostAre400) {
  NginxMirror mirror;
  const std::string path = mirror.put("h.bin", 5, 100);
  for (std::string_view head :
       {"GET /h.bin HTTP/1.1\r\n", "GET /h.bin HTTP/1.1\r\nHost: a\r\nHost: b\r\n",
        "GET /h.bin HTTP/1.1\r\nHost: user@a\r\n", "GET /h.bin HTTP/1.1\r\nHost: a b\r\n"}) {
    const std::string reply =
        raw_exchange(mirror.node.port(), std::string(head) + "Connection: close\r\n\r\n", 5s);
    EXPECT_EQ(status_of(reply), 400) << head << " -> " << reply.substr(0, 200);
  }
  const std::string old = raw_exchange(mirror.node.port(), "GET /h.bin HTTP/1.0\r\n\r\n", 5s);
  EXPECT_NE(old.find(" 200 "), std::string::npos) << "HTTP/1.0 needs no Host: " << old;
}

// The HEAD said cacheable; the ranged answer says otherwise. The answer actually stored decides.
class UncacheableSegment : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(UncacheableSegment, IsNeverServedToAnotherClient) {
  FaultMirror mirror;
  mirror.origin.put_object(
      "/o",
      {.size = 3 * kMiB, .seed = 6, .headers = cacheable_headers(), .get_headers = {GetParam()}});
  for (int client = 0; client < 2; ++client) {
    mirror.origin.clear_log();
    HttpClient http;
    const Response response = http.perform(Request{.url = mirror.url("/o"), .keep_body = false});
    EXPECT_EQ(response.status, 200) << response.error;
    EXPECT_EQ(response.body_sha256, pattern_sha256(6, 0, 3 * kMiB));
    EXPECT_FALSE(mirror.requests("/o", "GET").empty())
        << "client " << client << " got a stored copy";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Exposure, UncacheableSegment,
    ::testing::Values(std::pair<std::string, std::string>{"Cache-Control", "private"},
                      std::pair<std::string, std::string>{"Cache-Control", "no-store"},
                      std::pair<std::string, std::string>{"Set-Cookie", "session=alice"}),
    [](const auto& info) {
      return info.param.first == "Set-Cookie" ? std::string("SetCookie")
             : info.param.second == "private" ? "Private"
                                              : "NoStore";
    });

// Hundreds of connections trickling a header a byte at a time hold nothing for long, and a
// normal client is served while they try.
TEST(Exposure, SlowHeadersAreCutAndOthersServedMeanwhile) {
  NginxMirror mirror({"--segment-size=1M", "--client-header-timeout=2s"});
  const std::string path = mirror.put("s.bin", 7, 100'000);
  std::vector<RawConnection> slow;
  for (int i = 0; i < 300; ++i) {
    slow.emplace_back(mirror.node.port());
    slow.back().send("GET /s.bin HTTP/1.1\r\n");
  }
  const Response served = get(mirror.url(path));
  EXPECT_EQ(served.status, 200) << served.error;
  EXPECT_EQ(served.body_sha256, pattern_sha256(7, 0, 100'000));

  std::vector<bool> open(slow.size(), true);
  std::size_t still_open = slow.size();
  for (int tick = 0; tick < 20 && still_open > 0; ++tick) {  // at most 10 s
    std::this_thread::sleep_for(500ms);
    for (std::size_t i = 0; i < slow.size(); ++i) {
      if (!open[i]) continue;
      if (slow[i].closed_by_peer() || !slow[i].send("X")) {
        open[i] = false;
        --still_open;
      }
    }
  }
  EXPECT_EQ(still_open, 0u) << "connections still trickling a header after 10 s";
}

TEST(Exposure, IdleKeptAliveConnectionsAreClosed) {
  NginxMirror mirror({"--segment-size=1M", "--keepalive-timeout=1s"});
  const std::string path = mirror.put("k.bin", 8, 100);
  RawConnection connection(mirror.node.port());
  ASSERT_TRUE(connection.send("GET " + path + " HTTP/1.1\r\nHost: casserole\r\n\r\n"));
  const auto received = connection.read_until_closed(10s);
  EXPECT_EQ(status_of(received.bytes), 200) << received.bytes.substr(0, 200);
  EXPECT_TRUE(received.closed) << "an idle kept-alive connection stayed open for 10 s";
}

TEST(Exposure, ConnectionsBeyondTheLimitAreTurnedAwayOrReclaimed) {
  NginxMirror mirror({"--segment-size=1M", "--max-connections=20"});
  const std::string path = mirror.put("c.bin", 9, 100);
  // Twenty connections each in the middle of a request: the next one is turned away.
  {
    std::vector<RawConnection> busy;
    for (int i = 0; i < 20; ++i) {
      busy.emplace_back(mirror.node.port());
      busy.back().send("GET " + path + " HTTP/1.1\r\n");
    }
    std::this_thread::sleep_for(200ms);  // all accepted
    const std::string reply = raw_exchange(mirror.node.port(), request(path), 5s);
    EXPECT_EQ(status_of(reply), 503) << reply.substr(0, 200);
    EXPECT_NE(reply.find("Retry-After"), std::string::npos) << reply;
  }
  // Twenty that sent nothing yet: the oldest gives its place to the newcomer.
  std::vector<RawConnection> idle;
  for (int i = 0; i < 20; ++i) idle.emplace_back(mirror.node.port());
  std::this_thread::sleep_for(200ms);
  const Response served = get(mirror.url(path));
  EXPECT_EQ(served.status, 200) << served.error;
  EXPECT_TRUE(idle.front().read_until_closed(5s).closed) << "the oldest idle one was kept";
}

// CPU seconds the process has used, from /proc/<pid>/stat.
double cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::size_t open_descriptors(pid_t pid) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    ++n;
  }
  return n;
}

TEST(Exposure, OutOfDescriptorsTheNodeWaitsInsteadOfSpinning) {
  NginxMirror mirror;
  const std::string path = mirror.put("d.bin", 10, 100);
  const pid_t pid = mirror.node.process().pid();
  rlimit original{};
  ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, nullptr, &original), 0);
  const rlimit tight{open_descriptors(pid) + 4, original.rlim_max};
  ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, &tight, nullptr), 0);

  std::vector<RawConnection> clients;
  for (int i = 0; i < 50; ++i) {
    clients.emplace_back(mirror.node.port());
    clients.back().send("GET " + path + " HTTP/1.1\r\n");  // none of them finishes
  }
  const double before = cpu_seconds(pid);
  std::this_thread::sleep_for(2s);
  const double used = cpu_seconds(pid) - before;
  EXPECT_LT(used, 0.5) << "the node spun at the descriptor limit";

  clients.clear();
  ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, &original, nullptr), 0);
  const Response served = get(mirror.url(path));
  EXPECT_EQ(served.status, 200) << served.error;
  // The limit was met: accepting failed (and said so once), or, when a session that had not yet
  // read its first bytes was at hand, that connection was closed to make room.
  HttpClient admin;
  const std::string metrics =
      admin.perform(Request{.url = mirror.node.admin_url() + "/metrics"}).body;
  const bool closed_for_room =
      metrics.find("casserole_client_connections_closed_for_room_total 0\n") == std::string::npos;
  EXPECT_TRUE(mirror.node.log().find("accepting connections failed") != std::string::npos ||
              closed_for_room)
      << metrics;
}

// Ten readers that never read, each on its own segment, must not starve everyone else of memory.
TEST(Exposure, StalledReadersDoNotPinMemoryOthersNeed) {
  NginxMirror mirror({"--segment-size=2M", "--max-memory-usage=16M", "--upstream-timeout=3s"});
  const std::string big = mirror.put("big.bin", 11, 48 * kMiB);
  std::vector<RawConnection> stalled;
  for (int i = 0; i < 10; ++i) {
    stalled.emplace_back(mirror.node.port(), 4096);
    stalled.back().send("GET " + big + " HTTP/1.1\r\nHost: casserole\r\nRange: bytes=" +
                        std::to_string(static_cast<std::uint64_t>(i) * 4 * kMiB) + "-\r\n\r\n");
  }
  std::this_thread::sleep_for(1s);  // their segments are in memory, their sockets full
  for (int i = 0; i < 4; ++i) {
    const std::string cold = mirror.put("cold" + std::to_string(i) + ".bin", 20 + i, 6 * kMiB);
    const Response response = get(mirror.url(cold));
    EXPECT_EQ(response.status, 200) << cold << ": " << response.error;
    EXPECT_EQ(response.body_sha256, pattern_sha256(20 + i, 0, 6 * kMiB)) << cold;
  }
}

}  // namespace
}  // namespace casserole::test
