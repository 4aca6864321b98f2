// scripts/cluster.sh run for real: etcd and the nodes listen where it says, SIGTERM stops every
// process it started, a node that cannot start is reported with its own error, and options take
// their value both ways. Also shellcheck over the scripts.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <chrono>

#include "deploy/deploy_files.hpp"
#include "deploy/script_runs.hpp"
#include "support/http_client.hpp"
#include "support/ports.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace casserole::test::deploy {
namespace {

using namespace std::chrono_literals;

// Runs scripts/cluster.sh with the built binary, its directory and output in `dir`.
Process run_cluster_script(const TempDir& dir, std::vector<std::string> arguments) {
  std::vector<std::string> argv = {"bash", source_path("scripts/cluster.sh").string(),
                                   "--dir=" + (dir.path() / "cluster").string(),
                                   std::string("--binary=") + CASSEROLE_BINARY};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return Process(argv, dir.path() / "cluster.out");
}

class ClusterScript : public ::testing::Test {
 protected:
  void SetUp() override {
    if (run_shell("command -v etcd").first != 0) {
      GTEST_SKIP() << "etcd is not installed (scripts/setup.sh installs etcd-server)";
    }
  }
};

TEST_F(ClusterScript, StartsEtcdAndTheNodesAndStopsThemAll) {
  TempDir dir;
  Process script = run_cluster_script(dir, {"--nodes=2"});
  ASSERT_TRUE(wait_for_output(script, "Ctrl-C stops the cluster", 60s))
      << "no cluster after 60 s:\n"
      << script.log();
  const auto processes = started(script.log());
  ASSERT_EQ(processes.size(), 3u) << script.log();
  EXPECT_EQ(processes[0].name, "etcd");
  for (const auto& process : processes) {
    EXPECT_TRUE(alive(process.pid)) << process.name << " is not running";
    const auto response = http_get(process.url + (process.name == "etcd" ? "/health" : "/"));
    EXPECT_NE(response.status, 0) << process.name << " at " << process.url
                                  << " does not answer HTTP: " << response.error;
  }

  ASSERT_EQ(::kill(script.pid(), SIGTERM), 0);
  EXPECT_EQ(script.wait_exit(30s), 0) << script.log();
  for (const auto& process : processes) {
    EXPECT_FALSE(alive(process.pid))
        << process.name << " (pid " << process.pid << ") outlived the script";
    EXPECT_FALSE(port_accepts(process.port)) << process.name << " still listens";
  }
}

TEST_F(ClusterScript, ReportsANodeThatCannotStart) {
  TempDir dir;
  Process script = run_cluster_script(dir, {"--nodes=1", "--", "--max-memory-usage=12Q"});
  EXPECT_EQ(script.wait_exit(60s), 1) << script.log();
  EXPECT_NE(script.log().find("node 1"), std::string::npos) << script.log();
  EXPECT_NE(script.log().find("invalid size \"12Q\""), std::string::npos) << script.log();
  for (const auto& process : started(script.log())) {
    EXPECT_FALSE(alive(process.pid))
        << process.name << " (pid " << process.pid << ") outlived the script";
  }
}

TEST(Scripts, TakeOptionValuesBothWays) {
  TempDir dir;
  for (const std::string separator : {"=", " "}) {
    const auto [exit_code, output] =
        run_shell("bash '" + source_path("scripts/cluster.sh").string() + "' --dry-run --nodes" +
                  separator + "2 --dir" + separator + "'" + dir.path().string() + "' --binary" +
                  separator + CASSEROLE_BINARY);
    EXPECT_EQ(exit_code, 0) << output;
    std::size_t nodes = 0;
    for (auto at = output.find("--disk-cache-dir=" + dir.path().string() + "/node");
         at != std::string::npos; at = output.find("--disk-cache-dir=", at + 1)) {
      ++nodes;
    }
    EXPECT_EQ(nodes, 2u) << "with --opt" << separator << "value:\n" << output;
  }
}

TEST(Scripts, RefuseABadOptionInOneLineWithExitCode2) {
  const std::string binary = std::string(" --binary=") + CASSEROLE_BINARY;
  for (const auto& [command, message] : std::vector<std::pair<std::string, std::string>>{
           {"scripts/cluster.sh --bogus", "cluster.sh: --bogus: unknown option (see --help)"},
           {"scripts/cluster.sh --nodes=0", "cluster.sh: --nodes takes a whole number"},
           {"scripts/cluster.sh --dry-run --nodes", "cluster.sh: --nodes: needs a value"},
           {"scripts/demo.sh --bogus", "demo.sh: --bogus: unknown option (see --help)"},
           {"scripts/demo.sh --size=12Q", "demo.sh: --size: invalid size '12Q' (see --help)"},
           {"scripts/demo.sh --size", "demo.sh: --size: needs a value (see --help)"},
           {"scripts/run.sh --binary", "run.sh: --binary: needs a value (see --help)"},
           {"scripts/run.sh" + binary + " --bogus", "casserole: --bogus: unknown option"},
       }) {
    const auto [exit_code, output] = run_shell(source_path("").string() + "/" + command);
    EXPECT_EQ(exit_code, 2) << command << ":\n" << output;
    EXPECT_TRUE(output.starts_with(message)) << command << ":\n" << output;
    EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << command << ":\n" << output;
  }
}

TEST(Scripts, AreShellcheckClean) {
  if (run_shell("command -v shellcheck").first != 0) {
    GTEST_SKIP() << "shellcheck is not installed (scripts/setup.sh installs it)";
  }
  // -x follows `source`, from the checkout's root as the scripts' directives expect.
  for (const char* script :
       {"scripts/build.sh", "scripts/cluster.sh", "scripts/common.sh", "scripts/demo.sh",
        "scripts/run.sh", "scripts/setup.sh", "scripts/test.sh", "bench/run.sh",
        "bench/build_baseline.sh", "deploy/entrypoint.sh", "deploy/healthcheck.sh", ".ci/run"}) {
    const auto [exit_code, output] =
        run_shell("cd '" + source_path("").string() + "' && shellcheck -x " + script);
    EXPECT_EQ(exit_code, 0) << script << ":\n" << output;
  }
}

}  // namespace
}  // namespace casserole::test::deploy
