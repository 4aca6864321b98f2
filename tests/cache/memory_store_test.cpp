#include "cache/memory_store.hpp"
#include "support/coroutine_testing.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cache/segment.hpp"

namespace casserole::cache {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using test::rethrow;
using test::sleep_for;
using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kSegment = 100;
// Ten segments: S3-FIFO's small queue holds one.
constexpr std::uint64_t kLimit = 10 * kSegment;

// Charges, builds and indexes a segment the way the mirror does; the caller may keep the pointer
// (a reader) or drop it (the index alone holds it).
std::shared_ptr<Segment> add(MemoryStore& store, const std::string& key,
                             std::uint64_t size = kSegment) {
  auto charge = store.try_charge(size);
  if (!charge) return nullptr;
  auto segment = std::make_shared<Segment>(size, std::move(*charge));
  store.insert(key, segment);
  return segment;
}

std::string key(int i) {
  return "seg " + std::to_string(i);
}

TEST(MemoryStore, FindAndPeekReturnWhatWasInserted) {
  MemoryStore store(kLimit);
  auto segment = add(store, "a");
  ASSERT_TRUE(segment);
  EXPECT_EQ(store.find<Segment>("a"), segment);
  EXPECT_EQ(store.peek<Segment>("a"), segment);
  EXPECT_EQ(store.find<Segment>("b"), nullptr);
  EXPECT_EQ(store.peek<Segment>("b"), nullptr);
  EXPECT_EQ(store.entries(), 1u);
  EXPECT_EQ(store.used(), kSegment);
  EXPECT_EQ(store.limit(), kLimit);
}

TEST(MemoryStore, FindOfAnotherTypeIsNull) {
  struct Other : Cached {
    using Cached::Cached;
  };
  MemoryStore store(kLimit);
  store.insert("meta", std::make_shared<Other>(*store.try_charge(10)));
  EXPECT_EQ(store.find<Segment>("meta"), nullptr);
  EXPECT_NE(store.find<Other>("meta"), nullptr);
}

TEST(MemoryStore, UsedNeverExceedsTheLimit) {
  MemoryStore store(kLimit);
  for (int i = 0; i < 200; ++i) {
    // Sizes that do not divide the limit, so eviction must free more than one entry at times.
    const std::uint64_t size = 37 + (i * 53) % 250;
    ASSERT_TRUE(add(store, key(i), size)) << i;
    ASSERT_LE(store.used(), kLimit) << i;
  }
  EXPECT_GT(store.used(), kLimit / 2);
  EXPECT_LT(store.entries(), 200u);
}

TEST(MemoryStore, ChargeOfUnusedMemoryEvictsNothing) {
  MemoryStore store(kLimit);
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(add(store, key(i))) << i;
  auto last = store.try_charge_unused(kSegment);
  ASSERT_TRUE(last);
  EXPECT_FALSE(store.try_charge_unused(1)) << "memory is full";
  EXPECT_EQ(store.entries(), 9u) << "and nothing was evicted for it";
  // Where a plain charge makes room.
  EXPECT_TRUE(store.try_charge(kSegment));
  EXPECT_EQ(store.entries(), 8u);
}

TEST(MemoryStore, EraseAndReplaceGiveBytesBack) {
  MemoryStore store(kLimit);
  add(store, "a");
  add(store, "a", 2 * kSegment);
  EXPECT_EQ(store.used(), 2 * kSegment);
  EXPECT_EQ(store.entries(), 1u);
  store.erase("a");
  EXPECT_EQ(store.used(), 0u);
  EXPECT_EQ(store.entries(), 0u);
  store.erase("a");
}

TEST(MemoryStore, RemovedSegmentHeldByAReaderStaysCounted) {
  MemoryStore store(kLimit);
  auto reader = add(store, "a");
  store.erase("a");
  EXPECT_EQ(store.peek<Segment>("a"), nullptr);
  EXPECT_EQ(store.used(), kSegment);
  // The bytes are not there to hand out: nine segments fit, not ten.
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(add(store, key(i))) << i;
  std::vector<std::shared_ptr<Segment>> held;
  for (int i = 0; i < 9; ++i) held.push_back(store.find<Segment>(key(i)));
  EXPECT_FALSE(store.try_charge(kSegment));
  reader.reset();
  EXPECT_EQ(store.used(), 9 * kSegment);
  EXPECT_TRUE(store.try_charge(kSegment));
}

TEST(MemoryStore, ReplacedSegmentHeldByAReaderStaysCounted) {
  MemoryStore store(kLimit);
  auto reader = add(store, "a");
  add(store, "a");
  EXPECT_EQ(store.used(), 2 * kSegment);
  reader.reset();
  EXPECT_EQ(store.used(), kSegment);
}

TEST(MemoryStore, HeldEntriesAreNotEvicted) {
  MemoryStore store(kLimit);
  std::vector<std::shared_ptr<Segment>> held;
  for (int i = 0; i < 5; ++i) held.push_back(add(store, key(i)));
  for (int i = 5; i < 10; ++i) add(store, key(i));
  for (int i = 10; i < 30; ++i) ASSERT_TRUE(add(store, key(i))) << i;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(store.peek<Segment>(key(i)), held[i]) << i;
  EXPECT_LE(store.used(), kLimit);
}

TEST(MemoryStore, TryChargeFailsWhenEverythingIsHeld) {
  MemoryStore store(kLimit);
  std::vector<std::shared_ptr<Segment>> held;
  for (int i = 0; i < 10; ++i) held.push_back(add(store, key(i)));
  EXPECT_EQ(store.used(), kLimit);
  EXPECT_FALSE(store.try_charge(1));
  EXPECT_EQ(store.entries(), 10u);
  EXPECT_EQ(store.used(), kLimit);

  held[3].reset();
  auto charge = store.try_charge(kSegment);
  ASSERT_TRUE(charge);
  EXPECT_EQ(store.peek<Segment>(key(3)), nullptr);
  EXPECT_EQ(store.entries(), 9u);
}

TEST(MemoryStore, ChargeLargerThanTheLimitFails) {
  MemoryStore store(kLimit);
  EXPECT_FALSE(store.try_charge(kLimit + 1));
  asio::io_context io;
  std::optional<bool> charged;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        charged = (co_await store.charge(kLimit + 1, Clock::now() + 10s)).has_value();
      },
      rethrow);
  const auto start = Clock::now();
  io.run();
  EXPECT_EQ(charged, false);
  EXPECT_LT(Clock::now() - start, 1s);
}

TEST(MemoryStore, ChargeWaitsForAReaderToLetGo) {
  MemoryStore store(kLimit);
  auto reader = add(store, "held", kLimit);
  asio::io_context io;
  std::optional<bool> charged;
  Clock::duration waited{};
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        const auto start = Clock::now();
        auto charge = co_await store.charge(kSegment, start + 10s);
        waited = Clock::now() - start;
        charged = charge.has_value();
      },
      rethrow);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await sleep_for(50ms);
        reader.reset();
      },
      rethrow);
  io.run();
  EXPECT_EQ(charged, true);
  EXPECT_GE(waited, 50ms);
  EXPECT_LT(waited, 5s);
  EXPECT_EQ(store.peek<Segment>("held"), nullptr);
}

TEST(MemoryStore, ChargeAsksHoldersThatOfferedToLetGo) {
  MemoryStore store(kLimit);
  auto reader = add(store, "held", kLimit);
  int asked = 0;
  int withdrawn_asked = 0;
  {
    MemoryStore::Offer withdrawn(store, [&] { ++withdrawn_asked; });
  }
  MemoryStore::Offer offer(store, [&] {
    ++asked;
    reader.reset();  // as a slow client's session does: the segment stays indexed
  });
  asio::io_context io;
  std::optional<bool> first;
  std::optional<bool> second;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto charge = co_await store.charge(kLimit, Clock::now() + 10s);
        first = charge.has_value();
        // Memory short again while the first charge is held: the offer was taken already.
        second = (co_await store.charge(kSegment, Clock::now() + 100ms)).has_value();
      },
      rethrow);
  io.run();
  EXPECT_EQ(first, true);
  EXPECT_EQ(second, false);
  EXPECT_EQ(asked, 1) << "an offer is asked once";
  EXPECT_EQ(withdrawn_asked, 0) << "a withdrawn offer is never asked";
  EXPECT_EQ(store.peek<Segment>("held"), nullptr) << "evicted once let go";
}

TEST(MemoryStore, ChargeWakesWhenHeldMemoryIsHandedBack) {
  MemoryStore store(kLimit);
  // Out of the index but still being read: its bytes come back only when the reader lets go.
  auto reader = add(store, "orphan", kLimit);
  store.erase("orphan");
  asio::io_context io;
  std::optional<bool> charged;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        charged = (co_await store.charge(kSegment, Clock::now() + 10s)).has_value();
      },
      rethrow);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await sleep_for(30ms);
        reader.reset();
      },
      rethrow);
  io.run();
  EXPECT_EQ(charged, true);
}

TEST(MemoryStore, ChargeGivesUpAtTheDeadline) {
  MemoryStore store(kLimit);
  auto reader = add(store, "held", kLimit);
  asio::io_context io;
  std::optional<bool> charged;
  Clock::duration waited{};
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        const auto start = Clock::now();
        auto charge = co_await store.charge(kSegment, start + 100ms);
        waited = Clock::now() - start;
        charged = charge.has_value();
      },
      rethrow);
  io.run();
  EXPECT_EQ(charged, false);
  EXPECT_GE(waited, 100ms);
  EXPECT_LT(waited, 2s);
  EXPECT_EQ(store.peek<Segment>("held"), reader);
  EXPECT_EQ(store.used(), kLimit);
}

TEST(MemoryStore, ChargesWaitingTogetherStayWithinTheLimit) {
  MemoryStore store(kLimit);
  std::vector<std::shared_ptr<Segment>> readers;
  for (int i = 0; i < 10; ++i) readers.push_back(add(store, key(i)));
  asio::io_context io;
  int charged = 0;
  std::vector<MemoryBudget::Charge> charges;
  for (int i = 0; i < 5; ++i) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          auto charge = co_await store.charge(2 * kSegment, Clock::now() + 2s);
          EXPECT_LE(store.used(), kLimit);
          if (charge) {
            ++charged;
            charges.push_back(std::move(*charge));
          }
        },
        rethrow);
  }
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (auto& reader : readers) {
          co_await sleep_for(5ms);
          reader.reset();
        }
      },
      rethrow);
  io.run();
  EXPECT_EQ(charged, 5);
  EXPECT_EQ(store.used(), kLimit);
}

// After `hit` was found and `skipped` only peeked, a scan of new keys runs through the store.
void scan_after(MemoryStore& store, const std::string& hit, const std::string& skipped) {
  add(store, hit);
  add(store, skipped);
  EXPECT_TRUE(store.find<Segment>(hit));
  EXPECT_TRUE(store.peek<Segment>(skipped));
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(add(store, key(i))) << i;
}

TEST(MemoryStore, FindCountsAsAHitAndSurvivesAScan) {
  MemoryStore store(kLimit);
  scan_after(store, "a", "b");
  EXPECT_TRUE(store.peek<Segment>("a"));
  EXPECT_FALSE(store.peek<Segment>("b"));
}

TEST(MemoryStore, PeekDoesNotCountAsAHit) {
  MemoryStore store(kLimit);
  scan_after(store, "b", "a");
  EXPECT_TRUE(store.peek<Segment>("b"));
  EXPECT_FALSE(store.peek<Segment>("a"));
}

}  // namespace
}  // namespace casserole::cache
