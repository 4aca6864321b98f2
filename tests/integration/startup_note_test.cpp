// The start-up note about an unreachable upstream: a node whose --mirror-url nothing answers
// says so once, near the top of its log, however many requests then fail; a node whose upstream
// answers says nothing of the kind.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "integration/mirror_fixture.hpp"
#include "support/ports.hpp"

namespace casserole::test {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kNote = "cannot be reached";

std::size_t count(const std::string& text, std::string_view part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// The node's log once `part` appears in it, or when `timeout` passes.
std::string log_once_it_shows(const CasseroleNode& node, std::string_view part,
                              std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string log = node.log();
  while (log.find(part) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
    log = node.log();
  }
  return log;
}

TEST(StartupNote, SaysOnceThatTheUpstreamCannotBeReached) {
  const std::string upstream = "http://127.0.0.1:" + std::to_string(free_port());
  CasseroleNode node(with({}, upstream));
  const std::string log = log_once_it_shows(node, kNote, 10s);
  const std::string first_line = log.substr(0, log.find('\n'));
  EXPECT_NE(first_line.find("mirroring " + upstream), std::string::npos) << log;
  EXPECT_NE(log.find("casserole: the upstream " + upstream + " cannot be reached (connecting to " +
                     upstream.substr(7) + " failed: Connection refused); requests will answer " +
                     "502 until it can"),
            std::string::npos)
      << log;

  for (int i = 0; i < 3; ++i) EXPECT_EQ(get(node.url() + "/object").status, 502);
  EXPECT_EQ(count(node.log(), kNote), 1u) << node.log();
}

TEST(StartupNote, SaysNothingWhenTheUpstreamAnswersAndAsksItNothing) {
  NginxMirror mirror;
  const std::string path = mirror.put("object", 1, 1000);
  // The check only connects, and it starts before the node serves: once a request has been
  // served through the node and a moment has passed, the note would be there.
  EXPECT_EQ(get(mirror.url(path)).status, 200);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(count(mirror.node.log(), kNote), 0u) << mirror.node.log();
  for (const auto& entry : mirror.origin.wait_for_access_log(2)) {
    EXPECT_EQ(entry.uri, path) << "the check sent a request: " << entry.method << " " << entry.uri;
  }
}

}  // namespace
}  // namespace casserole::test
