#include "async/single_flight.hpp"
#include "support/coroutine_testing.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "async/signal.hpp"

namespace casserole::async {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using test::rethrow;
using test::sleep_for;

TEST(SingleFlight, ConcurrentCallersShareOneRun) {
  asio::io_context io;
  SingleFlight<int> flight;
  int runs = 0;
  std::vector<int> results;
  auto work = [&]() -> asio::awaitable<int> {
    ++runs;
    co_await sleep_for(20ms);
    co_return 42;
  };
  for (int i = 0; i < 10; ++i) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          const std::string key = "object";
          results.push_back(co_await flight.run(key, work));
        },
        rethrow);
  }
  io.run();
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(results, std::vector<int>(10, 42));
  EXPECT_FALSE(flight.in_flight("object"));
}

TEST(SingleFlight, InFlightWhileRunning) {
  asio::io_context io;
  SingleFlight<int> flight;
  std::optional<bool> seen_during;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await flight.run("k", []() -> asio::awaitable<int> {
          co_await sleep_for(20ms);
          co_return 1;
        });
      },
      rethrow);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await sleep_for(5ms);
        seen_during = flight.in_flight("k");
      },
      rethrow);
  io.run();
  EXPECT_EQ(seen_during, true);
  EXPECT_FALSE(flight.in_flight("k"));
}

TEST(SingleFlight, ExceptionReachesEveryWaiter) {
  asio::io_context io;
  SingleFlight<int> flight;
  int runs = 0;
  int failures = 0;
  auto work = [&]() -> asio::awaitable<int> {
    ++runs;
    co_await sleep_for(20ms);
    throw std::runtime_error("upstream down");
  };
  for (int i = 0; i < 5; ++i) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          try {
            co_await flight.run("k", work);
          } catch (const std::runtime_error& error) {
            EXPECT_STREQ(error.what(), "upstream down");
            ++failures;
          }
        },
        rethrow);
  }
  io.run();
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(failures, 5);
  EXPECT_FALSE(flight.in_flight("k"));
}

TEST(SingleFlight, NextCallAfterCompletionRunsAgain) {
  asio::io_context io;
  SingleFlight<int> flight;
  int runs = 0;
  std::vector<int> results;
  auto work = [&]() -> asio::awaitable<int> {
    co_await sleep_for(1ms);
    co_return ++runs;
  };
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        results.push_back(co_await flight.run("k", work));
        results.push_back(co_await flight.run("k", work));
      },
      rethrow);
  io.run();
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(results, (std::vector<int>{1, 2}));
}

TEST(SingleFlight, RunsAgainAfterAFailure) {
  asio::io_context io;
  SingleFlight<int> flight;
  int runs = 0;
  std::optional<int> result;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        try {
          co_await flight.run("k", [&]() -> asio::awaitable<int> {
            ++runs;
            throw std::runtime_error("first");
            co_return 0;
          });
        } catch (const std::runtime_error&) {
        }
        result = co_await flight.run("k", [&]() -> asio::awaitable<int> {
          ++runs;
          co_return 7;
        });
      },
      rethrow);
  io.run();
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(result, 7);
}

TEST(SingleFlight, DifferentKeysRunIndependently) {
  asio::io_context io;
  SingleFlight<std::string> flight;
  Signal release_a;
  std::vector<std::string> finished;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        finished.push_back(co_await flight.run("a", [&]() -> asio::awaitable<std::string> {
          co_await release_a.wait();
          co_return "a";
        }));
      },
      rethrow);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await sleep_for(1ms);
        EXPECT_TRUE(flight.in_flight("a"));
        // "b" must not queue behind "a", which only finishes once "b" has.
        finished.push_back(co_await flight.run("b", [&]() -> asio::awaitable<std::string> {
          co_await sleep_for(1ms);
          co_return "b";
        }));
        release_a.notify_all();
      },
      rethrow);
  io.run();
  EXPECT_EQ(finished, (std::vector<std::string>{"b", "a"}));
}

TEST(Signal, WaitUntilTimesOut) {
  asio::io_context io;
  Signal signal;
  std::optional<bool> notified;
  const auto start = std::chrono::steady_clock::now();
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        notified = co_await signal.wait_until(std::chrono::steady_clock::now() + 30ms);
      },
      rethrow);
  io.run();
  EXPECT_EQ(notified, false);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);
}

TEST(Signal, NotifyAllWakesEveryWaiter) {
  asio::io_context io;
  Signal signal;
  std::vector<bool> woken;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          woken.push_back(co_await signal.wait_until(std::chrono::steady_clock::now() + 10s));
        },
        rethrow);
  }
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await sleep_for(10ms);
        signal.notify_all();
      },
      rethrow);
  io.run();
  EXPECT_EQ(woken, std::vector<bool>(3, true));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(Signal, NotifyWithoutWaitersIsHarmless) {
  asio::io_context io;
  Signal signal;
  signal.notify_all();
  std::optional<bool> notified;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        notified = co_await signal.wait_until(std::chrono::steady_clock::now() + 10ms);
      },
      rethrow);
  io.run();
  // A notification is not remembered: only a waiter present at the time is woken.
  EXPECT_EQ(notified, false);
}

TEST(Signal, WaiterDestroyedWhileSuspendedUnregisters) {
  Signal signal;
  {
    asio::io_context io;
    asio::co_spawn(io, signal.wait(), asio::detached);
    io.run_for(10ms);
  }
  // The waiter's timer died with its coroutine: notifying must not touch it (ASan catches that).
  signal.notify_all();
}

}  // namespace
}  // namespace casserole::async
