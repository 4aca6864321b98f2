// The memory tier under load: the byte bound holds, and a scan does not evict what is popular.
#include <fstream>
#include <iostream>
#include <thread>

#include "integration/mirror_fixture.hpp"

namespace casserole::test {
namespace {

// A field of /proc/<pid>/status in KiB (VmRSS, VmHWM).
std::uint64_t status_kib(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1));
  }
  ADD_FAILURE() << "no " << field << " for pid " << pid;
  return 0;
}

TEST(Memory, ResidentMemoryStaysWithinTheBoundUnderLoad) {
#ifdef CASSEROLE_SANITIZED
  GTEST_SKIP() << "sanitizer shadow memory makes resident size meaningless";
#endif
  const std::uint64_t limit = 16 * kMiB;
  NginxMirror mirror({"--segment-size=1M", "--max-memory-usage=16M"});
  const std::uint64_t size = 12 * kMiB;
  std::vector<std::string> paths;
  for (int i = 0; i < 8; ++i)
    paths.push_back(mirror.put("load" + std::to_string(i), 100 + i, size));

  ASSERT_EQ(get(mirror.url(paths[0]), {"Range: bytes=0-0"}).status, 206);
  std::uint64_t baseline = status_kib(mirror.node.process().pid(), "VmRSS") * 1024;

  // 8 clients each read all 8 objects (768 MiB in all) through a 16 MiB memory tier.
  std::vector<std::thread> clients;
  std::atomic<int> wrong{0};
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < 8; ++i) {
        int object = (c + i) % 8;
        Response response = get(mirror.url(paths[object]));
        if (response.status != 200 ||
            response.body_sha256 != pattern_sha256(100 + object, 0, size)) {
          ++wrong;
        }
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(wrong.load(), 0);

  std::uint64_t peak = status_kib(mirror.node.process().pid(), "VmHWM") * 1024;
  // Allowance beyond the bound: request buffers and allocator slack, far below one more bound.
  const std::uint64_t overhead = 8 * kMiB;
  std::cout << "resident: baseline " << baseline / kMiB << " MiB, peak " << peak / kMiB
            << " MiB, bound " << limit / kMiB << " MiB\n";
  EXPECT_LT(peak, baseline + limit + overhead)
      << "peak " << peak / kMiB << " MiB, baseline " << baseline / kMiB << " MiB";
}

TEST(Memory, AScanThroughABigObjectDoesNotEvictAPopularOne) {
  NginxMirror mirror({"--segment-size=1M", "--max-memory-usage=16M", "--read-ahead=0"});
  auto hot = mirror.put("hot.bin", 1, 4 * kMiB);
  auto scan = mirror.put("scan.bin", 2, 48 * kMiB);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(get(mirror.url(hot)).status, 200);
  std::size_t hot_fetches = mirror.upstream_requests(hot, "GET", 1).size();

  Response scanned = get(mirror.url(scan));
  ASSERT_EQ(scanned.body_sha256, pattern_sha256(2, 0, 48 * kMiB));

  Response again = get(mirror.url(hot));
  EXPECT_EQ(again.body_sha256, pattern_sha256(1, 0, 4 * kMiB));
  EXPECT_EQ(again.header("X-Casserole-Source"), "memory");
  EXPECT_EQ(mirror.upstream_requests(hot, "GET", 1).size(), hot_fetches);
}

}  // namespace
}  // namespace casserole::test
