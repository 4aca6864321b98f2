// The cluster end to end: real etcd, three or four casserole nodes that find each other through
// it, a real upstream, and libcurl clients comparing digests. One upstream fetch per segment for
// the whole cluster however many clients ask through however many nodes; a peer's bytes stream
// on before their owner has them all; a killed node, a stopped etcd or a joining node fails no
// request; peer requests without the cluster secret are refused.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <numeric>
#include <sstream>
#include <thread>
#include <vector>

#include <signal.h>

#include "integration/mirror_fixture.hpp"
#include "support/base64.hpp"
#include "support/casserole_cluster.hpp"
#include "support/sha256.hpp"

namespace casserole::test {
namespace {

using namespace std::chrono_literals;

// Big enough that the herd overlaps for seconds; smaller under the sanitizers, where every byte
// costs several times as much and four nodes share two cores with other tests.
#ifdef CASSEROLE_SANITIZED
constexpr std::uint64_t kHerdSize = 64 * kMiB;
#else
constexpr std::uint64_t kHerdSize = 256 * kMiB;
#endif
constexpr std::size_t kClientsPerNode = 20;
// Long enough for a sanitized herd on a loaded machine; only a failing test waits this long.
constexpr long kTransferTimeoutMs = 300'000;
// A node that registers is seen by the others within a watch round trip, and one that dies
// within its 10 s lease. A watch that delivers nothing is opened again after
// EtcdClient::kWatchSilence (30 s) and catches up: the bound leaves room for that.
constexpr auto kMembershipTimeout = std::chrono::milliseconds(45s);

Response download(const std::string& url) {
  HttpClient client;
  return client.perform(Request{.url = url, .keep_body = false, .timeout_ms = kTransferTimeoutMs});
}

// `per_node` clients on each node in `nodes`, all at once; the responses in node order.
std::vector<Response> herd(Cluster& cluster, const std::vector<std::size_t>& nodes,
                           const std::string& path, std::size_t per_node) {
  std::vector<Response> responses(nodes.size() * per_node);
  std::vector<std::thread> clients;
  for (std::size_t i = 0; i < responses.size(); ++i) {
    clients.emplace_back(
        [&, i] { responses[i] = download(cluster.url(nodes[i / per_node], path)); });
  }
  for (auto& client : clients) client.join();
  return responses;
}

void expect_all_right(const std::vector<Response>& responses, std::uint64_t seed,
                      std::uint64_t size) {
  const std::string digest = pattern_sha256(seed, 0, size);
  for (std::size_t i = 0; i < responses.size(); ++i) {
    EXPECT_EQ(responses[i].status, 200) << "client " << i << ": " << responses[i].error;
    EXPECT_EQ(responses[i].body_sha256, digest) << "client " << i;
  }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct UpstreamTraffic {
  std::size_t heads = 0;
  std::size_t gets = 0;
  std::uint64_t get_bytes = 0;
};

// What nginx has logged for `uri`, once at least `lines` lines of any kind are in its log.
UpstreamTraffic traffic(const NginxOrigin& origin, const std::string& uri, std::size_t lines) {
  UpstreamTraffic out;
  for (const auto& entry : origin.wait_for_access_log(lines, 10s)) {
    if (entry.uri != uri) continue;
    if (entry.method == "HEAD") ++out.heads;
    if (entry.method == "GET") {
      ++out.gets;
      out.get_bytes += entry.bytes;
    }
  }
  return out;
}

std::size_t segments_of(std::uint64_t size, std::uint64_t segment) {
  return static_cast<std::size_t>((size + segment - 1) / segment);
}

TEST(Cluster, HerdOnAColdObjectFetchesEveryByteOnceForTheWholeCluster) {
  NginxOrigin origin;
  write_pattern_file(origin.docroot() / "alone.bin", 40, kHerdSize);
  write_pattern_file(origin.docroot() / "herd.bin", 41, kHerdSize);
  Cluster cluster(origin.url(), {}, 3);
  ASSERT_TRUE(cluster.wait_until_formed(kMembershipTimeout)) << cluster.logs();

  auto started = std::chrono::steady_clock::now();
  Response alone = download(cluster.url(0, "/alone.bin"));
  double alone_seconds = seconds_since(started);
  expect_all_right({alone}, 40, kHerdSize);

  started = std::chrono::steady_clock::now();
  auto responses = herd(cluster, cluster.all(), "/herd.bin", kClientsPerNode);
  double herd_seconds = seconds_since(started);
  expect_all_right(responses, 41, kHerdSize);

  const std::size_t segments = segments_of(kHerdSize, 2 * kMiB);
  auto herd_traffic = traffic(origin, "/herd.bin", 2 * (segments + 1));
  EXPECT_EQ(herd_traffic.heads, 1u);
  EXPECT_EQ(herd_traffic.gets, segments);
  EXPECT_EQ(herd_traffic.get_bytes, kHerdSize);
  std::cout << "herd: " << cluster.size() << " nodes x " << kClientsPerNode << " clients, "
            << kHerdSize / kMiB << " MiB cold: upstream bytes / object size = "
            << static_cast<double>(herd_traffic.get_bytes) / static_cast<double>(kHerdSize) << ", "
            << herd_traffic.heads << " HEAD, " << herd_traffic.gets << " GETs, " << herd_seconds
            << " s; one client alone: " << alone_seconds << " s\n";
  if (::testing::Test::HasFailure()) std::cout << cluster.logs();
}

TEST(Cluster, PeerStreamsASegmentBeforeItsOwnerHasAllOfIt) {
  // Every GET stalls a quarter of the way into its segment: an owner can never complete one, so
  // whatever the asking node's client receives was streamed on while the owner was receiving.
  FaultOrigin origin;
  constexpr std::uint64_t kSize = kMiB;
  constexpr std::uint64_t kReceived = 64 * 1024;
  constexpr int kObjects = 16;
  for (int i = 0; i < kObjects; ++i) {
    origin.put_object("/stalled-" + std::to_string(i),
                      ObjectSpec{.size = kSize,
                                 .seed = 100u + static_cast<std::uint64_t>(i),
                                 .headers = cacheable_headers(),
                                 .stall_after_bytes = kSize / 4});
  }
  Cluster cluster(origin.url(),
                  {"--segment-size=1M", "--upstream-timeout=120s", "--peer-timeout=120s"}, 2);
  ASSERT_TRUE(cluster.wait_until_formed(kMembershipTimeout)) << cluster.logs();

  // Which node owns an object's one segment is the ring's choice; with 16 objects and 2 nodes,
  // node 1 owns some of them (all 16 on node 0 has odds of 1 in 65536).
  int through_peer = 0;
  for (int i = 0; i < kObjects; ++i) {
    HttpClient client;
    Response response =
        client.perform(Request{.url = cluster.url(0, "/stalled-" + std::to_string(i)),
                               .abort_after_bytes = kReceived,
                               .timeout_ms = 60'000});
    ASSERT_EQ(response.status, 200) << response.error << cluster.logs();
    ASSERT_GE(response.body.size(), kReceived) << response.error;
    EXPECT_EQ(sha256_hex(std::string_view(response.body).substr(0, kReceived)),
              pattern_sha256(100u + static_cast<std::uint64_t>(i), 0, kReceived));
    if (response.header("X-Casserole-Source") == "peer") ++through_peer;
  }
  EXPECT_GT(through_peer, 0);
}

TEST(Cluster, KilledNodeFailsNoClientOfTheOthers) {
  // The upstream is paced so that the herd is still downloading when a node dies.
  FaultOrigin origin;
  const std::uint64_t size = 64 * kMiB;
  origin.put_object(
      "/paced.bin",
      ObjectSpec{
          .size = size, .seed = 42, .headers = cacheable_headers(), .bytes_per_second = 8 * kMiB});
  Cluster cluster(origin.url(), {}, 3);
  ASSERT_TRUE(cluster.wait_until_formed(kMembershipTimeout)) << cluster.logs();

  std::vector<Response> survivors;
  std::thread load([&] { survivors = herd(cluster, {0, 1}, "/paced.bin", kClientsPerNode); });
  std::vector<Response> victims;
  std::thread doomed([&] { victims = herd(cluster, {2}, "/paced.bin", kClientsPerNode / 4); });
  std::this_thread::sleep_for(700ms);
  cluster.node(2).process().kill();
  auto killed = std::chrono::steady_clock::now();
  load.join();
  doomed.join();
  expect_all_right(survivors, 42, size);

  auto survivors_only = cluster.peering_urls();
  survivors_only.pop_back();
  EXPECT_TRUE(cluster.wait_for_members({0, 1}, survivors_only, kMembershipTimeout));
  std::cout << "a node killed with SIGKILL left the ring after " << seconds_since(killed)
            << " s (lease TTL 10 s)\n";
}

TEST(Cluster, EtcdStoppedDuringLoadFailsNothingAndMembershipRecovers) {
  NginxOrigin origin;
  const std::uint64_t size = 32 * kMiB;
  write_pattern_file(origin.docroot() / "during.bin", 43, size);
  write_pattern_file(origin.docroot() / "after.bin", 44, size);
  Cluster cluster(origin.url(), {}, 3);
  auto everyone = cluster.peering_urls();
  std::sort(everyone.begin(), everyone.end());
  ASSERT_TRUE(cluster.wait_for_members(cluster.all(), everyone, kMembershipTimeout));

  cluster.etcd.stop();
  expect_all_right(herd(cluster, cluster.all(), "/during.bin", 4), 43, size);
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    EXPECT_EQ(cluster.members(i), everyone) << "node " << i << " forgot its peers";
  }

  // etcd back with its data: the nodes carry on under their leases.
  cluster.etcd.restart();
  EXPECT_TRUE(cluster.wait_for_members(cluster.all(), everyone, kMembershipTimeout));
  // etcd back without its data: every node notices its lease is gone and registers again.
  cluster.etcd.restart_empty();
  const auto deadline = std::chrono::steady_clock::now() + kMembershipTimeout;
  std::vector<std::string> registered;
  for (;;) {
    registered.clear();
    for (const auto& [key, value] : cluster.etcd.keys("/casserole/nodes/")) {
      registered.push_back(value);
    }
    if (registered.size() >= everyone.size() || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(100ms);
  }
  std::sort(registered.begin(), registered.end());
  EXPECT_EQ(registered, everyone);
  EXPECT_TRUE(cluster.wait_for_members(cluster.all(), everyone, kMembershipTimeout));
  expect_all_right(herd(cluster, cluster.all(), "/after.bin", 2), 44, size);
}

TEST(Cluster, JoiningNodeTakesOverKeysWithoutUpstreamRefetch) {
  NginxOrigin origin;
  const std::uint64_t size = 64 * kMiB;
  write_pattern_file(origin.docroot() / "kept.bin", 45, size);
  Cluster cluster(origin.url(), {}, 3);
  ASSERT_TRUE(cluster.wait_until_formed(kMembershipTimeout)) << cluster.logs();
  expect_all_right({download(cluster.url(0, "/kept.bin"))}, 45, size);
  const std::size_t segments = segments_of(size, 2 * kMiB);
  auto before = traffic(origin, "/kept.bin", segments + 1);
  ASSERT_EQ(before.gets, segments);

  cluster.add_node();
  ASSERT_TRUE(cluster.wait_until_formed(kMembershipTimeout)) << cluster.logs();
  for (std::size_t i : {std::size_t{3}, std::size_t{0}, std::size_t{1}, std::size_t{2}}) {
    Response again = download(cluster.url(i, "/kept.bin"));
    expect_all_right({again}, 45, size);
  }
  // Nothing new for nginx to log: give it a moment, then count.
  std::this_thread::sleep_for(500ms);
  auto after = traffic(origin, "/kept.bin", 0);
  EXPECT_EQ(after.gets, before.gets) << "the new node fetched from the upstream";
  EXPECT_EQ(after.heads, before.heads);
}

TEST(Cluster, SlowOwnerMeansADirectUpstreamFetch) {
  NginxOrigin origin;
  const std::uint64_t size = 32 * kMiB;
  write_pattern_file(origin.docroot() / "frozen.bin", 47, size);
  Cluster cluster(origin.url(), {"--peer-timeout=1s"}, 3);
  ASSERT_TRUE(cluster.wait_until_formed(kMembershipTimeout)) << cluster.logs();

  // A frozen node still holds its place in the ring (its lease outlives the test) and still
  // accepts connections (the kernel does), but answers nothing.
  ::kill(cluster.node(2).process().pid(), SIGSTOP);
  auto responses = herd(cluster, {0, 1}, "/frozen.bin", 4);
  ::kill(cluster.node(2).process().pid(), SIGCONT);
  expect_all_right(responses, 47, size);
}

TEST(Cluster, APeerRequestIsAnsweredWithoutAskingAThirdNode) {
  // Node 0 is asked, as a peer, for every segment of an object, half of which node 1 owns: it
  // must fetch those itself (asking node 1 at most for a stored copy), never forward the request,
  // or two nodes whose rings disagree could pass a request back and forth.
  NginxOrigin origin;
  const std::uint64_t size = 16 * kMiB;
  write_pattern_file(origin.docroot() / "direct.bin", 48, size);
  Cluster cluster(origin.url(), {"--segment-size=1M"}, 2);
  ASSERT_TRUE(cluster.wait_until_formed(kMembershipTimeout)) << cluster.logs();
  const std::string secret = std::string("X-Casserole-Secret: ") + kClusterSecret;
  const std::string peering = cluster.at(0).peering_url();

  Response meta = http_get(peering + "/_casserole/meta?target=/direct.bin", {secret});
  ASSERT_EQ(meta.status, 200) << meta.body;
  for (std::uint64_t i = 0; i < size / kMiB; ++i) {
    Response segment =
        http_get(peering + "/_casserole/segment?target=/direct.bin&segment-size=1048576&index=" +
                     std::to_string(i),
                 {secret, "X-Casserole-Meta: " + encode_base64(meta.body)});
    ASSERT_EQ(segment.status, 200) << i << ": " << segment.body;
    EXPECT_EQ(sha256_hex(segment.body), pattern_sha256(48, i * kMiB, kMiB)) << i;
  }
  // Node 1's access log: what node 0 asked it.
  std::istringstream node1(cluster.node(1).log());
  for (std::string line; std::getline(node1, line);) {
    if (line.find("GET /_casserole/segment?target=/direct.bin") == std::string::npos) continue;
    EXPECT_NE(line.find("&scope=stored"), std::string::npos)
        << "node 0 forwarded a peer's request to node 1: " << line;
  }

  // A record that is not one, or an index past the end, is refused; so is a segment of another
  // size, which would be other bytes.
  EXPECT_EQ(
      http_get(peering + "/_casserole/segment?target=/direct.bin&segment-size=1048576&index=0",
               {secret, "X-Casserole-Meta: bm90IGpzb24="})
          .status,
      400);
  EXPECT_EQ(
      http_get(peering + "/_casserole/segment?target=/direct.bin&segment-size=1048576&index=16",
               {secret, "X-Casserole-Meta: " + encode_base64(meta.body)})
          .status,
      400);
  EXPECT_EQ(
      http_get(peering + "/_casserole/segment?target=/direct.bin&segment-size=2097152&index=0",
               {secret, "X-Casserole-Meta: " + encode_base64(meta.body)})
          .status,
      409);
}

TEST(Cluster, NodesCuttingSegmentsOfAnotherSizeNeverMixTheirBytes) {
  // Node 0 cuts 2 MiB segments, node 1 1 MiB ones. Segment 1 of a 3 MiB object is its last MiB
  // on node 0 but its second on node 1: the same length, other bytes.
  NginxOrigin origin;
  constexpr int kObjects = 8;
  const std::uint64_t size = 3 * kMiB;
  auto path = [](int i) { return "/mixed" + std::to_string(i) + ".bin"; };
  for (int i = 0; i < kObjects; ++i) {
    write_pattern_file(origin.docroot() / path(i).substr(1), 60 + i, size);
  }
  Cluster cluster(origin.url(), {}, 1);
  cluster.add_node({"--segment-size=1M"});
  ASSERT_TRUE(cluster.wait_until_formed(kMembershipTimeout)) << cluster.logs();
  for (int i = 0; i < kObjects; ++i) {
    for (std::size_t node = 0; node < cluster.size(); ++node) {
      expect_all_right({download(cluster.url(node, path(i)))}, 60 + i, size);
    }
  }
  EXPECT_NE(cluster.node(0).log().find("every node needs the same --segment-size"),
            std::string::npos)
      << cluster.logs();
}

TEST(Cluster, PeerRequestsWithoutTheSecretAreRefused) {
  NginxOrigin origin;
  write_pattern_file(origin.docroot() / "secret.bin", 46, kMiB);
  Cluster cluster(origin.url(), {}, 2);
  ASSERT_TRUE(cluster.wait_until_formed(kMembershipTimeout)) << cluster.logs();
  const std::string peering = cluster.at(0).peering_url();
  for (const std::string target :
       {"/_casserole/members", "/_casserole/meta?target=/secret.bin",
        "/_casserole/segment?target=/secret.bin&index=0&segment-size=2097152", "/secret.bin"}) {
    EXPECT_EQ(http_get(peering + target).status, 403) << target;
    EXPECT_EQ(http_get(peering + target, {"X-Casserole-Secret: wrong"}).status, 403) << target;
  }
  EXPECT_EQ(http_get(peering + "/_casserole/members",
                     {std::string("X-Casserole-Secret: ") + kClusterSecret})
                .status,
            200);
  // The peering listener is not a mirror: a client request there is refused, not served.
  EXPECT_EQ(
      http_get(peering + "/secret.bin", {std::string("X-Casserole-Secret: ") + kClusterSecret})
          .status,
      400);
}

}  // namespace
}  // namespace casserole::test
