#include "disk/disk_index.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace casserole::disk {
namespace {

using Clock = DiskIndex::Clock;
using Ids = std::vector<std::uint64_t>;

TEST(DiskIndex, EvictsLeastRecentlyUsedFirst) {
  DiskIndex index;
  for (std::uint64_t id = 1; id <= 4; ++id) index.insert(id, 100, Clock::now());
  EXPECT_EQ(index.bytes(), 400u);
  index.read(1);
  EXPECT_EQ(index.evict_to(200), (Ids{2, 3}));
  EXPECT_EQ(index.bytes(), 200u);
  EXPECT_FALSE(index.contains(2));
  EXPECT_TRUE(index.contains(1));
  EXPECT_EQ(index.evict_to(0), (Ids{4, 1}));
  EXPECT_EQ(index.size(), 0u);
}

TEST(DiskIndex, EntriesFoundAtStartAreOlderThanNewOnes) {
  DiskIndex index;
  index.insert(10, 100, Clock::now());
  // Newest first, as the start-up scan adds them.
  index.insert_older(3, 100, Clock::now());
  index.insert_older(2, 100, Clock::now());
  index.insert_older(10, 999, Clock::now());  // already known: ignored
  EXPECT_EQ(index.bytes(), 300u);
  EXPECT_EQ(index.evict_to(0), (Ids{2, 3, 10}));
}

TEST(DiskIndex, ReplacingAnEntryReplacesItsBytes) {
  DiskIndex index;
  index.insert(1, 100, Clock::now());
  index.insert(1, 250, Clock::now());
  EXPECT_EQ(index.bytes(), 250u);
  EXPECT_EQ(index.size(), 1u);
  index.erase(1);
  index.erase(1);
  EXPECT_EQ(index.bytes(), 0u);
}

TEST(DiskIndex, ReadsAreCountedAndStampsKept) {
  DiskIndex index;
  auto then = Clock::now() - std::chrono::hours(2);
  index.insert(7, 100, then);
  EXPECT_FALSE(index.read(8));
  auto first = index.read(7);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->earlier_reads, 0u);
  EXPECT_LE(then - first->stamped, std::chrono::minutes(1));
  index.restamp(7, Clock::now());
  auto second = index.read(7);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->earlier_reads, 1u);
  EXPECT_GT(second->stamped, then + std::chrono::hours(1));
  EXPECT_EQ(index.reads(7), 2u);
}

}  // namespace
}  // namespace casserole::disk
