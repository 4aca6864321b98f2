#include "cache/segment.hpp"
#include "support/coroutine_testing.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace casserole::cache {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using test::rethrow;
using test::sleep_for;

std::shared_ptr<Segment> make_segment(std::size_t size) {
  auto budget = std::make_shared<MemoryBudget>(1 << 20);
  return std::make_shared<Segment>(size, budget->take(size));
}

void write(Segment& segment, std::string_view text) {
  std::memcpy(segment.unfilled().data(), text.data(), text.size());
  segment.commit(text.size());
}

std::string read(const Segment& segment, std::size_t from, std::size_t to) {
  return std::string(reinterpret_cast<const char*>(segment.data()) + from, to - from);
}

TEST(Segment, ChargesItsBudgetUntilDestroyed) {
  auto budget = std::make_shared<MemoryBudget>(1000);
  auto segment = std::make_shared<Segment>(300, budget->take(300));
  EXPECT_EQ(budget->used(), 300u);
  EXPECT_EQ(segment->charged_bytes(), 300u);
  segment.reset();
  EXPECT_EQ(budget->used(), 0u);
}

TEST(Segment, StartsEmptyAndFilling) {
  auto segment = make_segment(8);
  EXPECT_EQ(segment->size(), 8u);
  EXPECT_EQ(segment->filled(), 0u);
  EXPECT_EQ(segment->state(), Segment::State::filling);
  EXPECT_EQ(segment->unfilled().size(), 8u);
  EXPECT_FALSE(segment->failure());
}

TEST(Segment, ReaderWakesOnCommitAndSeesTheBytes) {
  asio::io_context io;
  auto segment = make_segment(10);
  std::vector<std::string> seen;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        std::size_t offset = 0;
        while (offset < segment->size()) {
          co_await segment->wait_beyond(offset);
          EXPECT_GT(segment->filled(), offset);
          seen.push_back(read(*segment, offset, segment->filled()));
          offset = segment->filled();
        }
        EXPECT_EQ(segment->state(), Segment::State::complete);
      },
      rethrow);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await sleep_for(5ms);
        write(*segment, "hello");
        co_await sleep_for(5ms);
        write(*segment, "world");
        segment->complete();
      },
      rethrow);
  io.run();
  EXPECT_EQ(seen, (std::vector<std::string>{"hello", "world"}));
  EXPECT_EQ(segment->unfilled().size(), 0u);
}

TEST(Segment, ReaderAheadOfTheWriterWaitsForItsByte) {
  asio::io_context io;
  auto segment = make_segment(10);
  std::size_t filled_when_woken = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await segment->wait_beyond(6);
        filled_when_woken = segment->filled();
      },
      rethrow);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (char c : std::string("abcdefghij")) {
          co_await sleep_for(1ms);
          write(*segment, std::string(1, c));
        }
        segment->complete();
      },
      rethrow);
  io.run();
  EXPECT_EQ(filled_when_woken, 7u);
  EXPECT_EQ(read(*segment, 0, 10), "abcdefghij");
}

TEST(Segment, WaitBeyondFilledBytesReturnsAtOnce) {
  asio::io_context io;
  auto segment = make_segment(4);
  write(*segment, "ab");
  bool returned = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await segment->wait_beyond(1);
        returned = true;
      },
      rethrow);
  io.run();
  EXPECT_TRUE(returned);
}

TEST(Segment, FailureWakesReadersWhoRethrowIt) {
  asio::io_context io;
  auto segment = make_segment(10);
  int failed_readers = 0;
  for (int i = 0; i < 3; ++i) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          co_await segment->wait_beyond(5);
          EXPECT_EQ(segment->state(), Segment::State::failed);
          EXPECT_EQ(segment->filled(), 3u);
          EXPECT_THROW(std::rethrow_exception(segment->failure()), std::runtime_error);
          ++failed_readers;
        },
        rethrow);
  }
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await sleep_for(5ms);
        write(*segment, "abc");
        co_await sleep_for(5ms);
        segment->fail(std::make_exception_ptr(std::runtime_error("connection reset")));
      },
      rethrow);
  io.run();
  EXPECT_EQ(failed_readers, 3);
  // Committed bytes stay valid for readers that were handed them.
  EXPECT_EQ(read(*segment, 0, 3), "abc");
}

TEST(Segment, FailAfterCompleteIsIgnored) {
  auto segment = make_segment(2);
  write(*segment, "ok");
  segment->complete();
  segment->fail(std::make_exception_ptr(std::runtime_error("late")));
  EXPECT_EQ(segment->state(), Segment::State::complete);
  EXPECT_FALSE(segment->failure());
}

TEST(Segment, FirstFailureWins) {
  auto segment = make_segment(2);
  segment->fail(std::make_exception_ptr(std::runtime_error("first")));
  segment->fail(std::make_exception_ptr(std::logic_error("second")));
  EXPECT_THROW(std::rethrow_exception(segment->failure()), std::runtime_error);
}

TEST(Segment, SourceNames) {
  EXPECT_STREQ(to_string(Source::memory), "memory");
  EXPECT_STREQ(to_string(Source::disk), "disk");
  EXPECT_STREQ(to_string(Source::peer), "peer");
  EXPECT_STREQ(to_string(Source::upstream), "upstream");
}

}  // namespace
}  // namespace casserole::cache
