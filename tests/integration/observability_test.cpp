// What a node tells its operator: exact counters on /metrics (checked against what the clients
// received and what the origin's own log says it sent), Cache-Status on every response, health
// and readiness on the admin listener, the token on requests that change state, and the JSON
// access log.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/mirror_fixture.hpp"
#include "support/casserole_cluster.hpp"
#include "support/etcd_server.hpp"
#include "support/ports.hpp"
#include "support/temp_dir.hpp"

namespace casserole::test {
namespace {

using namespace std::chrono_literals;

// A scrape: every sample by its series ("name{labels}" as the node writes it).
using Samples = std::map<std::string, double>;

// `keep_as`: a file name under the test artefacts, for people to read what a scrape looks like.
Samples scrape(const CasseroleNode& node, const std::string& keep_as = {}) {
  HttpClient client;
  const Response response = client.perform(Request{.url = node.admin_url() + "/metrics"});
  if (!keep_as.empty()) {
    std::filesystem::create_directories(TEST_ARTIFACTS_DIR);
    std::ofstream(std::filesystem::path(TEST_ARTIFACTS_DIR) / keep_as) << response.body;
  }
  EXPECT_EQ(response.status, 200) << response.error;
  EXPECT_EQ(response.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  Samples samples;
  std::istringstream lines(response.body);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.front() == '#') continue;
    const auto space = line.rfind(' ');
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

// name{label="value",...} number, the value escaped as the format says. (std::regex would do,
// but GCC 12 warns falsely in its headers under the sanitizers.)
bool well_formed_sample(std::string_view line) {
  const auto is_name = [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; };
  std::size_t i = 0;
  while (i < line.size() && is_name(line[i])) ++i;
  if (i == 0) return false;
  if (i < line.size() && line[i] == '{') {
    do {
      const std::size_t label = ++i;
      while (i < line.size() && is_name(line[i])) ++i;
      if (i == label || line.substr(i, 2) != "=\"") return false;
      for (i += 2; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\') ++i;
      }
      if (++i >= line.size()) return false;
    } while (line[i] == ',');
    if (line[i++] != '}') return false;
  }
  if (i >= line.size() || line[i++] != ' ') return false;
  const std::string number(line.substr(i));
  if (number == "+Inf") return true;
  char* end = nullptr;
  std::strtod(number.c_str(), &end);
  return !number.empty() && end == number.c_str() + number.size();
}

double value(const Samples& samples, const std::string& series) {
  auto it = samples.find(series);
  return it == samples.end() ? 0 : it->second;
}

double requests(const Samples& samples, const std::string& method, const std::string& status_class,
                const std::string& cache) {
  return value(samples, "casserole_client_requests_total{method=\"" + method +
                            "\",status_class=\"" + status_class + "\",cache=\"" + cache + "\"}");
}

double upstream(const Samples& samples, const std::string& kind, const std::string& status_class) {
  return value(samples, "casserole_upstream_requests_total{kind=\"" + kind + "\",status_class=\"" +
                            status_class + "\"}");
}

Response send(const std::string& url, const std::string& method = "GET",
              std::vector<std::string> headers = {}, std::optional<std::string> body = {}) {
  HttpClient client;
  return client.perform(Request{.method = method,
                                .url = url,
                                .headers = std::move(headers),
                                .body = std::move(body),
                                .keep_body = false});
}

TEST(Observability, CountersMatchWhatClientsReceivedAndWhatTheOriginSent) {
  NginxMirror mirror({"--segment-size=1M", "--max-memory-usage=64M"});
  const auto a = mirror.put("a.bin", 1, 3 * kMiB + 100);  // four segments
  const auto b = mirror.put("b.bin", 2, 512 * 1024);      // one

  const double accepted_before =
      value(scrape(mirror.node), "casserole_client_connections_accepted_total");
  std::vector<std::pair<Response, std::string>> answers;  // with the Cache-Status expected
  answers.emplace_back(send(mirror.url(a)), "casserole; fwd=uri-miss; fwd-status=200; stored");
  answers.emplace_back(send(mirror.url(a)), "casserole; hit");
  answers.emplace_back(send(mirror.url(a), "HEAD"), "casserole; hit");
  answers.emplace_back(send(mirror.url(a), "GET", {"Range: bytes=0-99"}), "casserole; hit");
  answers.emplace_back(send(mirror.url(b)), "casserole; fwd=uri-miss; fwd-status=200; stored");
  answers.emplace_back(send(mirror.url(b), "POST", {}, "x=1"),
                       "casserole; fwd=method; fwd-status=405");
  answers.emplace_back(send(mirror.url(b), "GET", {"Authorization: Bearer t"}),
                       "casserole; fwd=bypass; fwd-status=200; detail=authorization");
  answers.emplace_back(send(mirror.url("/missing.bin")),
                       "casserole; fwd=uri-miss; fwd-status=404; detail=uncacheable");
  std::uint64_t received = 0;
  for (const auto& [response, expected] : answers) {
    EXPECT_EQ(response.header("Cache-Status"), expected) << response.status;
    received += response.body_size;
  }
  EXPECT_EQ(answers[0].first.body_size, 3 * kMiB + 100);
  EXPECT_EQ(answers[3].first.status, 206);

  const Samples m = scrape(mirror.node, "metrics.txt");
  EXPECT_EQ(requests(m, "GET", "2xx", "miss"), 2);
  EXPECT_EQ(requests(m, "GET", "2xx", "hit"), 2);
  EXPECT_EQ(requests(m, "HEAD", "2xx", "hit"), 1);
  EXPECT_EQ(requests(m, "POST", "4xx", "pass"), 1);
  EXPECT_EQ(requests(m, "GET", "2xx", "pass"), 1);
  EXPECT_EQ(requests(m, "GET", "4xx", "pass"), 1);
  EXPECT_EQ(value(m, "casserole_client_first_byte_seconds_count"), 8);
  EXPECT_EQ(value(m, "casserole_client_first_byte_seconds_bucket{le=\"+Inf\"}"), 8);

  // Every body byte is counted once, under where it came from.
  double sent = 0;
  for (const char* source : {"memory", "disk", "peer", "upstream", "node"}) {
    sent += value(m, std::string("casserole_client_sent_bytes_total{source=\"") + source + "\"}");
  }
  EXPECT_EQ(sent, static_cast<double>(received));
  EXPECT_EQ(value(m, "casserole_client_sent_bytes_total{source=\"disk\"}"), 0);
  EXPECT_EQ(value(m, "casserole_client_sent_bytes_total{source=\"peer\"}"), 0);
  // The hot GET and the range: from memory.
  EXPECT_GE(value(m, "casserole_client_sent_bytes_total{source=\"memory\"}"), 3 * kMiB + 200);

  EXPECT_EQ(upstream(m, "head", "2xx"), 2);
  EXPECT_EQ(upstream(m, "head", "4xx"), 1);
  EXPECT_EQ(upstream(m, "segment", "2xx"), 5);
  EXPECT_EQ(upstream(m, "passthrough", "2xx"), 1);
  EXPECT_EQ(upstream(m, "passthrough", "4xx"), 2);
  EXPECT_EQ(value(m, "casserole_upstream_segment_fetch_seconds_count"), 5);
  for (const char* cause : {"unreachable", "timeout", "protocol"}) {
    EXPECT_EQ(value(m, std::string("casserole_upstream_errors_total{cause=\"") + cause + "\"}"), 0);
  }

  // What the origin says it sent, body bytes by its own log, is what the node counted.
  const auto log = mirror.origin.wait_for_access_log(11);
  ASSERT_EQ(log.size(), 11u);
  std::uint64_t origin_sent = 0;
  for (const auto& entry : log) origin_sent += entry.bytes;
  EXPECT_EQ(value(m, "casserole_upstream_received_bytes_total"), static_cast<double>(origin_sent));

  EXPECT_EQ(value(m, "casserole_memory_segments"), 5);
  EXPECT_EQ(value(m, "casserole_memory_limit_bytes"), 64 * kMiB);
  EXPECT_GE(value(m, "casserole_memory_used_bytes"), 3 * kMiB + 100 + 512 * 1024);
  EXPECT_EQ(value(m, "casserole_memory_evictions_total"), 0);
  EXPECT_EQ(value(m, "casserole_fetches_in_flight"), 0);
  EXPECT_EQ(value(m, "casserole_client_connections_accepted_total") - accepted_before, 8);
  EXPECT_EQ(value(m, "casserole_ready"), 1);
}

TEST(Observability, MetricsAreWellFormedPrometheusText) {
  NginxMirror mirror({"--segment-size=1M", "--disk-cache-enabled"});
  const auto a = mirror.put("a.bin", 1, kMiB);
  EXPECT_EQ(send(mirror.url(a)).status, 200);
  HttpClient client;
  const Response response = client.perform(Request{.url = mirror.node.admin_url() + "/metrics"});
  ASSERT_EQ(response.status, 200);
  std::map<std::string, int> described;  // family -> HELP and TYPE lines seen
  std::istringstream lines(response.body);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      const std::string family = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(family.starts_with("casserole_")) << line;
      ++described[family];
      continue;
    }
    EXPECT_TRUE(well_formed_sample(line)) << line;
    const std::string name = line.substr(0, line.find_first_of("{ "));
    const bool known = described.contains(name) ||
                       std::any_of(described.begin(), described.end(), [&](const auto& family) {
                         return name == family.first + "_bucket" || name == family.first + "_sum" ||
                                name == family.first + "_count";
                       });
    EXPECT_TRUE(known) << "a sample before its HELP and TYPE: " << line;
  }
  for (const auto& [family, lines_seen] : described) EXPECT_EQ(lines_seen, 2) << family;
  EXPECT_TRUE(described.contains("casserole_disk_used_bytes"));
  EXPECT_TRUE(described.contains("casserole_disk_checksum_failures_total"));
}

TEST(Observability, ARevalidatedObjectIsStaleWithTheUpstreamsStatus) {
  FaultMirror mirror({"--segment-size=1M", "--min-ttl=0"});
  mirror.origin.put_object(
      "/s.bin",
      ObjectSpec{.size = 1000, .headers = {{"Cache-Control", "max-age=2"}, {"ETag", "\"s1\""}}});
  EXPECT_EQ(send(mirror.url("/s.bin")).header("Cache-Status"),
            "casserole; fwd=uri-miss; fwd-status=200; stored");
  std::this_thread::sleep_for(2100ms);
  EXPECT_EQ(send(mirror.url("/s.bin")).header("Cache-Status"),
            "casserole; fwd=stale; fwd-status=304");
  EXPECT_EQ(send(mirror.url("/s.bin"), "GET", {"Cache-Control: no-cache"}).header("Cache-Status"),
            "casserole; fwd=request; fwd-status=304");
  EXPECT_EQ(
      send(mirror.url("/s.bin"), "GET", {"Cache-Control: only-if-cached"}).header("Cache-Status"),
      "casserole; hit");
  const Samples m = scrape(mirror.node);
  EXPECT_EQ(requests(m, "GET", "2xx", "stale"), 2);
  EXPECT_EQ(requests(m, "GET", "2xx", "hit"), 1);
}

TEST(Observability, AHerdIsOneMissAndTheRestCollapsed) {
  FaultMirror mirror({"--segment-size=1M"});
  mirror.origin.put_object("/herd.bin", ObjectSpec{.size = 2 * kMiB,
                                                   .headers = cacheable_headers(),
                                                   .first_byte_delay = 300ms,
                                                   .head_delay = 300ms});
  constexpr int kClients = 8;
  std::vector<std::string> statuses(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back(
        [&, i] { statuses[i] = send(mirror.url("/herd.bin")).header("Cache-Status"); });
  }
  for (auto& client : clients) client.join();
  int collapsed = 0;
  for (const auto& status : statuses) {
    EXPECT_TRUE(status.find("fwd=") != std::string::npos &&
                status.find("stored") != std::string::npos)
        << status;
    if (status.find("collapsed") != std::string::npos) ++collapsed;
  }
  const Samples m = scrape(mirror.node);
  EXPECT_EQ(requests(m, "GET", "2xx", "miss") + requests(m, "GET", "2xx", "collapsed"), kClients);
  EXPECT_EQ(requests(m, "GET", "2xx", "collapsed"), collapsed);
  EXPECT_GE(collapsed, kClients - 2);
  EXPECT_EQ(mirror.requests("/herd.bin", "HEAD").size(), 1u);
  EXPECT_EQ(mirror.requests("/herd.bin", "GET").size(), 2u);
}

TEST(Observability, AClusterCountsWhatItsNodesAskedOfEachOther) {
  NginxOrigin origin(NginxOrigin::Options{});
  write_pattern_file(origin.docroot() / "c.bin", 7, 8 * kMiB);
  Cluster cluster(origin.url(), {"--segment-size=1M"}, 3);
  ASSERT_TRUE(cluster.wait_until_formed(30s)) << cluster.logs();
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    EXPECT_EQ(get(cluster.url(i, "/c.bin")).body_sha256, pattern_sha256(7, 0, 8 * kMiB));
  }
  double asked_ok = 0;
  double from_peers = 0;
  double upstream_bytes = 0;
  double answered = 0;  // by peering listeners
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    const Samples m = scrape(cluster.node(i));
    EXPECT_EQ(value(m, "casserole_cluster_members"), 3);
    EXPECT_EQ(value(m, "casserole_cluster_suspects"), 0);
    for (const auto& peer : cluster.peering_urls()) {
      asked_ok += value(m, "casserole_peer_requests_total{peer=\"" + peer + "\",outcome=\"ok\"}");
      EXPECT_EQ(value(m, "casserole_peer_requests_total{peer=\"" + peer + "\",outcome=\"failed\"}"),
                0);
    }
    from_peers += value(m, "casserole_client_sent_bytes_total{source=\"peer\"}");
    upstream_bytes += value(m, "casserole_upstream_received_bytes_total");
    answered += value(m,
                      "casserole_peering_requests_total{method=\"GET\",status_class=\"2xx\","
                      "cache=\"none\"}");
  }
  // Every node but a segment's owner asked the owner for it; the cluster fetched each byte once.
  EXPECT_GE(asked_ok, 8);
  // Each answer one node counted, another's peering listener counted too (with the test's own
  // membership queries beside them).
  EXPECT_GE(answered, asked_ok);
  EXPECT_GT(from_peers, 0);
  EXPECT_EQ(upstream_bytes, 8 * kMiB);
}

TEST(Observability, HealthAndReadinessAreOnTheAdminListenerOnly) {
  NginxMirror mirror;
  HttpClient client;
  const Response live = client.perform(Request{.url = mirror.node.admin_url() + "/healthz"});
  EXPECT_EQ(live.status, 200);
  EXPECT_EQ(live.body, "live\n");
  const Response ready = client.perform(Request{.url = mirror.node.admin_url() + "/readyz"});
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "ready\n");
  // On the client port every path is the upstream's.
  EXPECT_EQ(client.perform(Request{.url = mirror.url("/healthz")}).status, 404);
  EXPECT_EQ(mirror.upstream_requests("/healthz", "GET", 1).size(), 1u);
  EXPECT_EQ(client.perform(Request{.url = mirror.node.admin_url() + "/nothing"}).status, 404);
}

TEST(Observability, ANodeWhoseDiskCannotBeUsedIsLiveButNotReady) {
  TempDir dir;
  const auto not_a_directory = dir.path() / "file";
  std::ofstream(not_a_directory) << "x";
  NginxMirror mirror({"--disk-cache-enabled", "--disk-cache-dir=" + not_a_directory.string()});
  HttpClient client;
  EXPECT_EQ(client.perform(Request{.url = mirror.node.admin_url() + "/healthz"}).status, 200);
  const Response ready = client.perform(Request{.url = mirror.node.admin_url() + "/readyz"});
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("the disk cache is unusable"), std::string::npos) << ready.body;
  EXPECT_EQ(value(scrape(mirror.node), "casserole_ready"), 0);
}

TEST(Observability, AClusterNodeIsReadyOnceEtcdListsItAndStaysSoWhileEtcdIsAway) {
  EtcdServer etcd;
  etcd.stop();
  NginxMirror mirror({"--segment-size=1M", "--etcd=" + etcd.url(),
                      "--peering-address=http://127.0.0.1:" + std::to_string(free_port())});
  HttpClient client;
  const std::string readyz = mirror.node.admin_url() + "/readyz";
  Response ready = client.perform(Request{.url = readyz});
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("not registered in etcd"), std::string::npos) << ready.body;

  etcd.restart();
  for (int i = 0; i < 100 && ready.status != 200; ++i) {
    std::this_thread::sleep_for(100ms);
    ready = client.perform(Request{.url = readyz});
  }
  EXPECT_EQ(ready.status, 200) << ready.body;
  Samples m = scrape(mirror.node);
  EXPECT_EQ(value(m, "casserole_cluster_members"), 1);
  EXPECT_EQ(value(m, "casserole_cluster_registered"), 1);
  EXPECT_EQ(value(m, "casserole_etcd_reachable"), 1);

  // Without etcd the node keeps its last view of the cluster and keeps serving: taking every
  // node out of rotation for an etcd outage would turn it into a full one.
  etcd.stop();
  for (int i = 0; i < 100 && value(m, "casserole_etcd_reachable") != 0; ++i) {
    std::this_thread::sleep_for(100ms);
    m = scrape(mirror.node);
  }
  EXPECT_EQ(value(m, "casserole_etcd_reachable"), 0);
  EXPECT_GE(value(m, "casserole_etcd_errors_total"), 1);
  EXPECT_EQ(client.perform(Request{.url = readyz}).status, 200);
}

TEST(Observability, ChangingStateNeedsTheAdminToken) {
  NginxMirror mirror({"--admin-token=s3cret-token"});
  const std::string url = mirror.node.admin_url() + "/metrics";
  const Response anonymous = send(url, "POST", {}, "");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(send(url, "POST", {"Authorization: Bearer wrong"}, "").status, 401);
  EXPECT_EQ(send(url, "DELETE", {"Authorization: Basic czNjcmV0LXRva2Vu"}).status, 401);
  const Response authorized = send(url, "POST", {"Authorization: Bearer s3cret-token"}, "");
  EXPECT_EQ(authorized.status, 405);
  EXPECT_EQ(authorized.header("Allow"), "GET, HEAD");
  // Reading stays open.
  EXPECT_EQ(send(url).status, 200);
  EXPECT_EQ(send(mirror.node.admin_url() + "/status").status, 200);
  EXPECT_EQ(mirror.node.log().find("s3cret-token"), std::string::npos);
}

TEST(Observability, TheJsonAccessLogSaysWhatEachRequestCost) {
  NginxMirror mirror({"--segment-size=1M", "--access-log-format=json"});
  const auto a = mirror.put("a.bin", 1, 3 * kMiB);
  EXPECT_EQ(send(mirror.url(a)).status, 200);
  EXPECT_EQ(send(mirror.url(a), "GET", {"Range: bytes=0-9"}).status, 206);
  std::vector<boost::json::object> entries;
  for (int i = 0; i < 50 && entries.size() < 2; ++i) {
    entries.clear();
    std::istringstream lines(mirror.node.log());
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with("{")) entries.push_back(boost::json::parse(line).as_object());
    }
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(entries.size(), 2u);
  const auto& cold = entries[0];
  EXPECT_EQ(cold.at("method").as_string(), "GET");
  EXPECT_EQ(cold.at("target").as_string(), a);
  EXPECT_EQ(cold.at("status").as_int64(), 200);
  EXPECT_EQ(cold.at("bytes").as_int64(), static_cast<std::int64_t>(3 * kMiB));
  EXPECT_EQ(cold.at("cache").as_string(), "miss");
  EXPECT_EQ(cold.at("cache_status").as_string(), "casserole; fwd=uri-miss; fwd-status=200; stored");
  EXPECT_EQ(cold.at("upstream_requests").as_int64(), 4);  // the HEAD and three segments
  EXPECT_EQ(cold.at("peer_requests").as_int64(), 0);
  EXPECT_EQ(cold.at("client").as_string(), "127.0.0.1");
  EXPECT_LE(cold.at("ttfb_ms").as_double(), cold.at("duration_ms").as_double());
  const auto& hot = entries[1];
  EXPECT_EQ(hot.at("range").as_string(), "bytes=0-9");
  EXPECT_EQ(hot.at("cache").as_string(), "hit");
  EXPECT_EQ(hot.at("source").as_string(), "memory");
  EXPECT_EQ(hot.at("upstream_requests").as_int64(), 0);
  EXPECT_FALSE(hot.at("time").as_string().empty());
}

}  // namespace
}  // namespace casserole::test
