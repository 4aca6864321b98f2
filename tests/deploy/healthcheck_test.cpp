// The compose healthcheck run against real nodes as Docker runs it in the container: the script
// the image installs, with the container's CASSEROLE_ADMIN_ADDRESS (here a loopback port) and
// nothing else in its environment. Exit code 0 only while /readyz says ready; 1 otherwise, since
// Docker reserves 2.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "deploy/deploy_files.hpp"
#include "support/casserole_node.hpp"
#include "support/http_client.hpp"
#include "support/ports.hpp"

namespace casserole::test::deploy {
namespace {

using namespace std::chrono_literals;

class Healthcheck : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto services = compose_node_services();
    ASSERT_FALSE(services.empty()) << "deploy/compose.yaml: no node service";
    command_ = compose_healthcheck(services.front());
    ASSERT_FALSE(command_.empty()) << "deploy/compose.yaml: no healthcheck test [\"CMD\", ...]";
    const std::string script = image_program_source(command_.front());
    ASSERT_FALSE(script.empty()) << command_.front() << " is no script from the checkout";
    command_.front() = source_path(script).string();
  }

  // The healthcheck's exit code and output when the container's admin address is `address`.
  std::pair<int, std::string> check(const std::string& address) const {
    std::string line =
        "timeout 10 env -i PATH=/usr/bin:/bin CASSEROLE_ADMIN_ADDRESS='" + address + "'";
    for (const auto& word : command_) line += " '" + word + "'";
    return run_shell(line);
  }

  // Waits until the node's /readyz answers `status`.
  static bool readyz_answers(const CasseroleNode& node, int status) {
    for (const auto deadline = std::chrono::steady_clock::now() + 10s;
         std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(50ms)) {
      if (http_get(node.admin_url() + "/readyz").status == status) return true;
    }
    return false;
  }

  std::vector<std::string> command_;
};

TEST_F(Healthcheck, PassesWhileTheNodeIsReady) {
  CasseroleNode node({});
  ASSERT_TRUE(readyz_answers(node, 200)) << node.log();
  const std::string port = std::to_string(node.admin_port());
  // The image's address is a wildcard, which the check asks on loopback.
  for (const std::string host : {"127.0.0.1", "0.0.0.0"}) {
    const auto [exit_code, output] = check(host + ":" + port);
    EXPECT_EQ(exit_code, 0) << host << ":\n" << output;
  }
}

TEST_F(Healthcheck, FailsWhileTheNodeIsNotReady) {
  // etcd that nobody answers for: the node never registers.
  CasseroleNode node({"--etcd=http://127.0.0.1:" + std::to_string(free_port()),
                      "--peering-address=http://127.0.0.1:" + std::to_string(free_port())});
  ASSERT_TRUE(readyz_answers(node, 503)) << node.log();
  const auto [exit_code, output] = check("127.0.0.1:" + std::to_string(node.admin_port()));
  EXPECT_EQ(exit_code, 1) << output;
}

TEST_F(Healthcheck, FailsWhenNothingListens) {
  const auto [exit_code, output] = check("127.0.0.1:" + std::to_string(free_port()));
  EXPECT_EQ(exit_code, 1) << output;
}

}  // namespace
}  // namespace casserole::test::deploy
