// scripts/cluster.sh run for real: etcd and the nodes listen where it says, SIGTERM stops every
// process it started, and a node that cannot start is reported with its own error. Also
// shellcheck over the deploy scripts.
#include <gtest/gtest.h>

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <regex>
#include <thread>

#include "deploy/deploy_files.hpp"
#include "support/http_client.hpp"
#include "support/ports.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace casserole::test::deploy {
namespace {

using namespace std::chrono_literals;

// A process the script says it started: "node 1  http://127.0.0.1:4242  pid 77  log ...".
struct Started {
  std::string name;
  std::string url;
  std::uint16_t port = 0;
  pid_t pid = 0;
};

std::vector<Started> started(const std::string& output) {
  static const std::regex line(R"((etcd|node \d+) +(http://127\.0\.0\.1:(\d+)) +pid (\d+))");
  std::vector<Started> result;
  for (std::sregex_iterator it(output.begin(), output.end(), line), end; it != end; ++it) {
    result.push_back({(*it)[1], (*it)[2], static_cast<std::uint16_t>(std::stoi((*it)[3])),
                      static_cast<pid_t>(std::stoi((*it)[4]))});
  }
  return result;
}

bool alive(pid_t pid) {
  return ::kill(pid, 0) == 0 || errno != ESRCH;
}

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
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (script.log().find("Ctrl-C stops the cluster") == std::string::npos) {
    ASSERT_TRUE(script.running()) << "scripts/cluster.sh exited:\n" << script.log();
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no cluster after 60 s:\n"
                                                          << script.log();
    std::this_thread::sleep_for(50ms);
  }
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

TEST(Scripts, AreShellcheckClean) {
  if (run_shell("command -v shellcheck").first != 0) {
    GTEST_SKIP() << "shellcheck is not installed (scripts/setup.sh installs it)";
  }
  for (const char* script :
       {"scripts/build.sh", "scripts/cluster.sh", "scripts/run.sh", "scripts/setup.sh",
        "scripts/test.sh", "bench/run.sh", "deploy/entrypoint.sh", ".ci/run"}) {
    const auto [exit_code, output] = run_shell("shellcheck '" + source_path(script).string() + "'");
    EXPECT_EQ(exit_code, 0) << script << ":\n" << output;
  }
}

}  // namespace
}  // namespace casserole::test::deploy
