// EtcdClient against a real etcd of its own per test.
#include "cluster/etcd_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "support/coroutine_testing.hpp"
#include "support/etcd_server.hpp"
#include "support/nginx_origin.hpp"
#include "support/ports.hpp"

namespace casserole::cluster {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::rethrow;
using test::sleep_for;

std::string dead_endpoint() {
  return "http://127.0.0.1:" + std::to_string(test::free_port());
}

std::map<std::string, std::string> as_map(const etcd::Range& range) {
  std::map<std::string, std::string> out;
  for (const auto& kv : range.kvs) out.emplace(kv.key, kv.value);
  return out;
}

// Events from `watch` until `count` of them have arrived.
asio::awaitable<std::vector<etcd::Event>> events(EtcdWatch& watch, std::size_t count) {
  std::vector<etcd::Event> out;
  while (out.size() < count) {
    etcd::WatchMessage message = co_await watch.next();
    out.insert(out.end(), message.events.begin(), message.events.end());
  }
  co_return out;
}

class EtcdClientTest : public ::testing::Test {
 protected:
  void run(std::function<asio::awaitable<void>()> test) {
    std::exception_ptr failure;
    asio::co_spawn(io_, test(), [&](std::exception_ptr error) { failure = error; });
    io_.run();
    if (failure) std::rethrow_exception(failure);
  }

  test::EtcdServer etcd_;
  asio::io_context io_;
};

TEST_F(EtcdClientTest, LeasesKeysAndRanges) {
  run([&]() -> asio::awaitable<void> {
    EtcdClient client(io_.get_executor(), {etcd_.url()});
    etcd::Lease lease = co_await client.grant_lease(5);
    EXPECT_GE(lease.ttl, 5);
    co_await client.put("/t/a", "http://a:8000", lease.id);
    co_await client.put("/t/b", "http://b:8000", lease.id);
    co_await client.put("/u", "outside the prefix", lease.id);
    const std::map<std::string, std::string> both = {{"/t/a", "http://a:8000"},
                                                     {"/t/b", "http://b:8000"}};
    EXPECT_EQ(as_map(co_await client.range_prefix("/t/")), both);
    EXPECT_EQ(etcd_.keys("/t/"), both);
    EXPECT_GT(co_await client.keep_alive(lease.id), 0);

    co_await client.revoke_lease(lease.id);
    EXPECT_TRUE((co_await client.range_prefix("/t/")).kvs.empty());
    EXPECT_EQ(co_await client.keep_alive(lease.id), 0);
    int put_error = 0;
    try {
      co_await client.put("/t/a", "x", lease.id);
    } catch (const etcd::Error& error) {
      put_error = error.code();
    }
    EXPECT_EQ(put_error, etcd::Error::kNotFound);
    int revoke_error = 0;
    try {
      co_await client.revoke_lease(lease.id);
    } catch (const etcd::Error& error) {
      revoke_error = error.code();
    }
    EXPECT_EQ(revoke_error, etcd::Error::kNotFound);
  });
}

TEST_F(EtcdClientTest, WatchReportsPutsAndRemovalsFromItsStartRevision) {
  run([&]() -> asio::awaitable<void> {
    EtcdClient client(io_.get_executor(), {etcd_.url()});
    etcd::Lease lease = co_await client.grant_lease(5);
    co_await client.put("/t/before", "x", lease.id);
    const std::int64_t listed = (co_await client.range_prefix("/t/")).revision;
    co_await client.put("/t/a", "http://a:8000", lease.id);

    auto watch = co_await client.watch_prefix("/t/", listed + 1);
    EXPECT_GE(watch->created_revision(), listed + 1);
    co_await client.revoke_lease(lease.id);
    auto seen = co_await events(*watch, 3);
    EXPECT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0].type, etcd::Event::Type::put);
    EXPECT_EQ(seen[0].kv.key, "/t/a");
    EXPECT_EQ(seen[0].kv.value, "http://a:8000");
    EXPECT_EQ(seen[0].kv.mod_revision, listed + 1);
    // The revocation removes both keys, in one revision.
    std::map<std::string, etcd::Event::Type> removed = {{seen[1].kv.key, seen[1].type},
                                                        {seen[2].kv.key, seen[2].type}};
    EXPECT_EQ(removed,
              (std::map<std::string, etcd::Event::Type>{{"/t/a", etcd::Event::Type::remove},
                                                        {"/t/before", etcd::Event::Type::remove}}));
    EXPECT_EQ(seen[1].kv.mod_revision, listed + 2);
  });
}

TEST_F(EtcdClientTest, WatchFromACompactedRevisionIsCanceled) {
  run([&]() -> asio::awaitable<void> {
    EtcdClient client(io_.get_executor(), {etcd_.url()});
    etcd::Lease lease = co_await client.grant_lease(5);
    co_await client.put("/t/a", "1", lease.id);
    co_await client.put("/t/a", "2", lease.id);
    const std::int64_t compacted = etcd_.compact();

    auto watch = co_await client.watch_prefix("/t/", 1);
    etcd::WatchMessage message = co_await watch->next();
    EXPECT_TRUE(message.canceled);
    EXPECT_EQ(message.compact_revision, compacted);
  });
}

TEST_F(EtcdClientTest, AbandonedWatchEndsAtOnce) {
  run([&]() -> asio::awaitable<void> {
    EtcdClient client(io_.get_executor(), {etcd_.url()});
    auto watch = co_await client.watch_prefix("/t/", 1);
    asio::co_spawn(
        co_await asio::this_coro::executor,
        [&]() -> asio::awaitable<void> {
          co_await sleep_for(100ms);
          client.abandon_watches();
        },
        rethrow);
    const auto started = Clock::now();
    bool abandoned = false;
    try {
      co_await watch->next();
    } catch (const EtcdWatchAbandoned&) {
      abandoned = true;
    }
    EXPECT_TRUE(abandoned);
    EXPECT_LT(Clock::now() - started, 2s);
  });
}

// A call timing out on an endpoint says its watch streams may be silent for the same reason.
TEST_F(EtcdClientTest, ACallTimingOutAbandonsTheWatchesOnItsEndpoint) {
  run([&]() -> asio::awaitable<void> {
    EtcdClient client(io_.get_executor(), {etcd_.url()});
    etcd::Lease lease = co_await client.grant_lease(60);
    auto watch = co_await client.watch_prefix("/t/", 1);
    bool abandoned = false;
    bool reading = true;
    asio::co_spawn(
        co_await asio::this_coro::executor,
        [&]() -> asio::awaitable<void> {
          try {
            co_await watch->next();
          } catch (const EtcdWatchAbandoned&) {
            abandoned = true;
          }
          reading = false;
        },
        rethrow);
    etcd_.pause();
    const auto started = Clock::now();
    bool unavailable = false;
    try {
      co_await client.keep_alive(lease.id);
    } catch (const EtcdUnavailable&) {
      unavailable = true;
    }
    etcd_.resume();
    EXPECT_TRUE(unavailable);
    EXPECT_LT(Clock::now() - started, EtcdClient::kReplyTimeout + 2s);
    while (reading) co_await sleep_for(10ms);
    EXPECT_TRUE(abandoned);
  });
}

TEST_F(EtcdClientTest, NoEndpointAnsweringIsEtcdUnavailable) {
  const std::string first = dead_endpoint();
  const std::string second = dead_endpoint();
  run([&]() -> asio::awaitable<void> {
    EtcdClient client(io_.get_executor(), {first, second});
    std::string message;
    try {
      co_await client.grant_lease(5);
    } catch (const EtcdUnavailable& error) {
      message = error.what();
    }
    EXPECT_NE(message.find(first), std::string::npos) << message;
    EXPECT_NE(message.find(second), std::string::npos) << message;
    bool unavailable = false;
    try {
      co_await client.watch_prefix("/t/", 1);
    } catch (const EtcdUnavailable&) {
      unavailable = true;
    }
    EXPECT_TRUE(unavailable);
  });
}

TEST_F(EtcdClientTest, FailsOverToTheEndpointThatAnswersAndStaysThere) {
  // nginx answers, but not as etcd does: as good as down.
  test::NginxOrigin not_etcd;
  run([&]() -> asio::awaitable<void> {
    EtcdClient client(io_.get_executor(), {dead_endpoint(), not_etcd.url(), etcd_.url()});
    etcd::Lease lease = co_await client.grant_lease(5);
    EXPECT_EQ(client.endpoint(), etcd_.url());
    co_await client.put("/t/a", "http://a:8000", lease.id);
    auto watch = co_await client.watch_prefix("/t/", 1);
    auto seen = co_await events(*watch, 1);
    EXPECT_EQ(seen.front().kv.key, "/t/a");
  });
  // Once failed over, calls start from the endpoint that answered.
  EXPECT_EQ(not_etcd.wait_for_access_log(1).size(), 1u);
}

TEST(EtcdClient, RejectsEndpointsThatAreNotUrls) {
  asio::io_context io;
  EXPECT_THROW(EtcdClient(io.get_executor(), {}), std::invalid_argument);
  EXPECT_THROW(EtcdClient(io.get_executor(), {"127.0.0.1:2379"}), std::invalid_argument);
}

}  // namespace
}  // namespace casserole::cluster
