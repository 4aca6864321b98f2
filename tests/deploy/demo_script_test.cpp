// scripts/demo.sh end to end with a small object: it exits 0 after its report (--no-wait), the
// report shows four downloads whose digests match the origin's file and a cluster that fetched
// one object's bytes from the origin while serving three, and nothing it started still runs.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <regex>

#include "deploy/deploy_files.hpp"
#include "deploy/script_runs.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace casserole::test::deploy {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kSize = 8 << 20;

TEST(DemoScript, FetchesEachByteOnceAndStopsAllItStarted) {
  for (const char* program : {"etcd", "/usr/sbin/nginx"}) {
    if (run_shell(std::string("command -v ") + program).first != 0) {
      GTEST_SKIP() << program << " is not installed (scripts/setup.sh installs it)";
    }
  }
  TempDir dir;
  const auto demo_dir = dir.path() / "demo";
  Process demo({source_path("scripts/demo.sh").string(), "--size", "8M", "--no-wait",
                std::string("--binary=") + CASSEROLE_BINARY, "--dir=" + demo_dir.string()},
               dir.path() / "demo.out");
  const auto exit_code = demo.wait_exit(100s);
  const std::string report = demo.log();
  ASSERT_EQ(exit_code, 0) << report;

  static const std::regex download(
      R"(\n  (direct from the origin|cold through node [12](, meanwhile)?|hot through node 3) +)"
      R"([0-9.]+ s +[0-9.]+ [KMG]?i?B/s  ok )");
  EXPECT_EQ(std::distance(std::sregex_iterator(report.begin(), report.end(), download),
                          std::sregex_iterator()),
            4)
      << report;
  std::smatch bytes;
  ASSERT_TRUE(std::regex_search(report, bytes,
                                std::regex(R"(served (\d+) bytes [\s\S]*and fetched (\d+) bytes)")))
      << report;
  EXPECT_EQ(std::stoull(bytes[1]), 3 * kSize) << report;
  EXPECT_EQ(std::stoull(bytes[2]), kSize) << report;
  EXPECT_NE(report.find("from the origin: each byte once"), std::string::npos) << report;

  auto processes = started(report);
  std::smatch cluster_script;
  ASSERT_TRUE(
      std::regex_search(report, cluster_script, std::regex(R"(scripts/cluster.sh, pid (\d+))")))
      << report;
  processes.push_back({"scripts/cluster.sh", "", 0, std::stoi(cluster_script[1])});
  ASSERT_EQ(processes.size(), 6u) << "origin, etcd, 3 nodes and scripts/cluster.sh:\n" << report;
  for (const auto& process : processes) {
    EXPECT_FALSE(alive(process.pid))
        << process.name << " (pid " << process.pid << ") outlived the demo";
  }
  EXPECT_FALSE(std::filesystem::exists(demo_dir / "origin" / "www" / "large.bin"))
      << "the demo leaves its objects behind";
}

}  // namespace
}  // namespace casserole::test::deploy
