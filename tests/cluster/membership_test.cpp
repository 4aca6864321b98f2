// EtcdMembership against a real etcd of its own per test, with short leases. The memberships run
// on an io_context thread of their own, so that the test can block (restarting etcd, polling)
// while they keep going; whatever touches them is posted to that thread.
#include "cluster/membership.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/etcd_server.hpp"
#include "support/ports.hpp"

namespace casserole::cluster {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Members = std::vector<std::string>;

const std::string kPrefix = "/casserole/nodes/";
const std::string kA = "http://127.0.0.1:8001";
const std::string kB = "http://127.0.0.1:8002";
const std::string kC = "http://127.0.0.1:8003";
// The shortest lease the test etcd grants (see EtcdServer).
constexpr auto kTtl = 1s;
// Long enough for any change to reach every node on a loaded machine; nothing waits it out
// unless the test fails.
constexpr auto kPatience = 15s;

std::string joined(const Members& members) {
  std::string text;
  for (const auto& member : members) text += member + " ";
  return text;
}

std::size_t count(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = kPatience) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

class MembershipTest : public ::testing::Test {
 protected:
  struct Node {
    Node(asio::io_context& io, const std::string& address, EtcdMembership::Options options)
        : peers(address), membership(io.get_executor(), peers, logging_to(std::move(options))) {}

    EtcdMembership::Options logging_to(EtcdMembership::Options options) {
      options.log = &log;
      return options;
    }

    Peers peers;
    std::ostringstream log;
    EtcdMembership membership;
    bool running = true;  // run() has not returned
    std::exception_ptr failure;
  };

  ~MembershipTest() override {
    io_.stop();
    thread_.join();
  }

  void TearDown() override {
    on_io([&] {
      for (auto& node : nodes_) node->membership.stop();
    });
    EXPECT_TRUE(eventually([&] {
      return on_io([&] {
        return std::none_of(nodes_.begin(), nodes_.end(),
                            [](const auto& node) { return node->running; });
      });
    })) << "run() did not return after stop()";
    for (const auto& node : nodes_) {
      if (!node->failure) continue;
      try {
        std::rethrow_exception(node->failure);
      } catch (const std::exception& error) {
        ADD_FAILURE() << node->peers.self() << ": run() failed: " << error.what();
      }
    }
  }

  // Runs `work` on the io_context's thread and returns what it returns.
  template <class Work>
  std::invoke_result_t<Work&> on_io(Work work) {
    std::packaged_task<std::invoke_result_t<Work&>()> task(std::move(work));
    auto result = task.get_future();
    // Wrapped: Asio takes a packaged_task itself for a completion token.
    asio::post(io_, [&task] { task(); });
    return result.get();
  }

  Node& start(const std::string& address, std::vector<std::string> endpoints = {},
              std::chrono::seconds ttl = kTtl) {
    EtcdMembership::Options options{
        .endpoints = endpoints.empty() ? std::vector<std::string>{etcd_.url()} : endpoints,
        .prefix = kPrefix,
        .lease_ttl = ttl,
        .log = nullptr};
    return on_io([&]() -> Node& {
      Node& node = *nodes_.emplace_back(std::make_unique<Node>(io_, address, options));
      asio::co_spawn(io_, node.membership.run(), [&node](std::exception_ptr error) {
        node.failure = error;
        node.running = false;
      });
      return node;
    });
  }

  Members members(Node& node) {
    return on_io([&] { return node.peers.ring().members(); });
  }

  std::string log(Node& node) {
    return on_io([&] { return node.log.str(); });
  }

  testing::AssertionResult sees(Node& node, const Members& expected) {
    if (eventually([&] { return members(node) == expected; })) return testing::AssertionSuccess();
    return testing::AssertionFailure() << node.peers.self() << " sees " << joined(members(node))
                                       << "instead of " << joined(expected) << "\nits log:\n"
                                       << log(node);
  }

  // Whether `node` logs `line` (a prefix of it will do) `times` times, exactly or at least.
  testing::AssertionResult logs(Node& node, std::string_view line, std::size_t times,
                                bool exactly) {
    const bool logged = eventually([&] { return count(log(node), line) >= times; });
    if (logged && (!exactly || count(log(node), line) == times)) {
      return testing::AssertionSuccess();
    }
    return testing::AssertionFailure()
           << node.peers.self() << " did not log \"" << line << "\" "
           << (exactly ? "exactly " : "at least ") << times << " time(s); its log:\n"
           << log(node);
  }
  testing::AssertionResult logged(Node& node, std::string_view line) {
    return logs(node, line, 1, false);
  }
  testing::AssertionResult logged_exactly(Node& node, std::string_view line,
                                          std::size_t times = 1) {
    return logs(node, line, times, true);
  }

  void leave(Node& node) { asio::co_spawn(io_, node.membership.leave(), asio::use_future).get(); }

  void stop(Node& node) {
    on_io([&] { node.membership.stop(); });
  }

  std::map<std::string, std::string> registered(const Members& addresses) {
    std::map<std::string, std::string> keys;
    for (const auto& address : addresses) keys.emplace(kPrefix + address, address);
    return keys;
  }

  test::EtcdServer etcd_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  std::thread thread_{[this] { io_.run(); }};
  std::vector<std::unique_ptr<Node>> nodes_;  // touched on io_'s thread only
};

TEST_F(MembershipTest, NodesSeeEachOther) {
  Node& a = start(kA);
  Node& b = start(kB);
  Node& c = start(kC);
  for (Node* node : {&a, &b, &c}) EXPECT_TRUE(sees(*node, {kA, kB, kC}));
  EXPECT_EQ(etcd_.keys(kPrefix), registered({kA, kB, kC}));
  EXPECT_TRUE(logged(a, "casserole: cluster: 3 nodes: " + kA + " " + kB + " " + kC + "\n"));
}

TEST_F(MembershipTest, LeaveRemovesTheNodeAtOnce) {
  // A lease far longer than the test waits: only the revocation can remove b in time.
  Node& a = start(kA, {}, 60s);
  ASSERT_TRUE(logged(a, "casserole: cluster: 1 node: " + kA + "\n"));
  Node& b = start(kB, {}, 60s);
  EXPECT_TRUE(sees(a, {kA, kB}));
  EXPECT_TRUE(sees(b, {kA, kB}));
  leave(b);
  EXPECT_EQ(etcd_.keys(kPrefix), registered({kA}));
  EXPECT_TRUE(sees(a, {kA}));
  // Once alone before b came, once alone again.
  EXPECT_TRUE(logged_exactly(a, "casserole: cluster: 1 node: " + kA + "\n", 2));
}

TEST_F(MembershipTest, ANodeThatStopsKeepingAliveDisappearsAfterItsTtl) {
  Node& a = start(kA);
  Node& b = start(kB);
  EXPECT_TRUE(sees(a, {kA, kB}));
  stop(b);
  // Still registered: only the lease running out removes it.
  EXPECT_EQ(etcd_.keys(kPrefix), registered({kA, kB}));
  EXPECT_TRUE(sees(a, {kA}));
  EXPECT_EQ(etcd_.keys(kPrefix), registered({kA}));
}

TEST_F(MembershipTest, KeepsTheMembersWhileEtcdIsDownAndRecovers) {
  Node& a = start(kA);
  Node& b = start(kB);
  EXPECT_TRUE(sees(a, {kA, kB}));
  EXPECT_TRUE(sees(b, {kA, kB}));

  etcd_.stop();
  EXPECT_TRUE(logged_exactly(a, "casserole: etcd unreachable"));
  EXPECT_TRUE(logged_exactly(b, "casserole: etcd unreachable"));
  // Well past every lease: the members must not run out with them while etcd cannot say.
  std::this_thread::sleep_for(3 * kTtl);
  EXPECT_EQ(members(a), (Members{kA, kB}));
  EXPECT_EQ(members(b), (Members{kA, kB}));
  EXPECT_TRUE(
      logged_exactly(a, "casserole: etcd unreachable"));  // once, however many retries failed

  etcd_.restart();
  Node& c = start(kC);
  for (Node* node : {&a, &b, &c}) EXPECT_TRUE(sees(*node, {kA, kB, kC}));
  EXPECT_TRUE(logged_exactly(a, "casserole: etcd reachable again"));
  EXPECT_TRUE(logged_exactly(b, "casserole: etcd reachable again"));
}

TEST_F(MembershipTest, ANodeStartedBeforeEtcdJoinsOnceItAnswers) {
  etcd_.stop();
  Node& a = start(kA);
  EXPECT_TRUE(logged_exactly(a, "casserole: etcd unreachable"));
  EXPECT_EQ(members(a), (Members{kA}));
  etcd_.restart();
  Node& b = start(kB);
  EXPECT_TRUE(sees(a, {kA, kB}));
  EXPECT_TRUE(sees(b, {kA, kB}));
  EXPECT_TRUE(logged_exactly(a, "casserole: etcd reachable again"));
}

TEST_F(MembershipTest, EveryNodeRegistersAgainWhenEtcdLostItsData) {
  Node& a = start(kA);
  Node& b = start(kB);
  Node& c = start(kC);
  for (Node* node : {&a, &b, &c}) EXPECT_TRUE(sees(*node, {kA, kB, kC}));
  // c ends while etcd is away: no revision of the new history says it left.
  stop(c);
  etcd_.restart_empty();
  EXPECT_TRUE(eventually([&] {
    return etcd_.keys(kPrefix) == registered({kA, kB});
  })) << "registered: "
      << etcd_.keys(kPrefix).size();
  EXPECT_TRUE(sees(a, {kA, kB}));
  EXPECT_TRUE(sees(b, {kA, kB}));
  EXPECT_TRUE(logged(a, "casserole: etcd lease lost"));
  EXPECT_TRUE(logged(b, "casserole: etcd lease lost"));
}

TEST_F(MembershipTest, FailsOverToAnEndpointThatAnswers) {
  const std::vector<std::string> endpoints = {
      "http://127.0.0.1:" + std::to_string(test::free_port()), etcd_.url()};
  Node& a = start(kA, endpoints);
  Node& b = start(kB, endpoints);
  EXPECT_TRUE(sees(a, {kA, kB}));
  EXPECT_TRUE(sees(b, {kA, kB}));
  EXPECT_EQ(etcd_.keys(kPrefix), registered({kA, kB}));
  EXPECT_EQ(count(log(a), "unreachable"), 0u) << log(a);
}

// etcd stops answering without closing anything: calls time out, and the watch, silent as it
// is when nothing changes, is abandoned rather than trusted; once etcd answers again the nodes
// watch again and see a newcomer.
TEST_F(MembershipTest, ASilentEtcdIsNoticedAndWatchedAgainOnceItAnswers) {
  Node& a = start(kA);
  Node& b = start(kB);
  EXPECT_TRUE(sees(a, {kA, kB}));
  EXPECT_TRUE(sees(b, {kA, kB}));
  etcd_.pause();
  EXPECT_TRUE(logged_exactly(a, "casserole: etcd unreachable"));
  EXPECT_TRUE(logged_exactly(b, "casserole: etcd unreachable"));
  EXPECT_EQ(members(a), (Members{kA, kB}));
  etcd_.resume();
  Node& c = start(kC);
  for (Node* node : {&a, &b, &c}) EXPECT_TRUE(sees(*node, {kA, kB, kC}));
  EXPECT_TRUE(logged_exactly(a, "casserole: etcd reachable again"));
}

TEST_F(MembershipTest, AnotherRegistrationThatRunsOutComesAndGoes) {
  Node& a = start(kA);
  EXPECT_TRUE(sees(a, {kA}));
  etcd_.put_with_lease(kPrefix + kC, kC, 1);
  EXPECT_TRUE(sees(a, {kA, kC}));
  EXPECT_TRUE(sees(a, {kA}));
}

}  // namespace
}  // namespace casserole::cluster
