#include "cache/s3fifo_policy.hpp"

#include <cstdint>
#include <list>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <gtest/gtest.h>

namespace casserole::cache {
namespace {

constexpr std::uint64_t kSegment = 2 * 1024 * 1024;

// Ten segments: S's share is exactly one segment, which keeps the expected orders easy to follow.
constexpr std::uint64_t kCapacity = 10 * kSegment;

bool nothing_pinned(const std::string&) {
  return false;
}

std::vector<std::string> drain(S3FifoPolicy& policy) {
  std::vector<std::string> victims;
  while (auto victim = policy.evict(nothing_pinned)) victims.push_back(*victim);
  return victims;
}

// Leaves the keys in M, the first one at the tail, each with no hits left.
void insert_into_main(S3FifoPolicy& policy, const std::vector<std::string>& keys) {
  for (const auto& key : keys) {
    policy.insert(key, kSegment);
    policy.touch(key);
  }
  policy.insert("filler", kSegment);
  ASSERT_EQ(policy.evict(nothing_pinned), "filler");
}

TEST(S3FifoPolicyTest, EvictsOneHitEntriesInInsertionOrder) {
  S3FifoPolicy policy(kCapacity);
  for (const auto* key : {"a", "b", "c", "d"}) policy.insert(key, kSegment);

  EXPECT_EQ(drain(policy), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(policy.entries(), 0u);
  EXPECT_EQ(policy.evict(nothing_pinned), std::nullopt);
}

TEST(S3FifoPolicyTest, EntryHitInSmallSurvivesIntoMain) {
  S3FifoPolicy policy(kCapacity);
  for (const auto* key : {"a", "b", "c"}) policy.insert(key, kSegment);
  policy.touch("a");

  EXPECT_EQ(policy.evict(nothing_pinned), "b");
  EXPECT_EQ(policy.evict(nothing_pinned), "c");
  EXPECT_TRUE(policy.contains("a"));
  // In M a key needs a new hit to stay: the one that promoted it is spent.
  EXPECT_EQ(policy.evict(nothing_pinned), "a");
}

TEST(S3FifoPolicyTest, GhostHitGoesStraightToMain) {
  S3FifoPolicy policy(kCapacity);
  policy.insert("a", kSegment);
  policy.insert("b", kSegment);
  EXPECT_EQ(policy.evict(nothing_pinned), "a");
  EXPECT_FALSE(policy.contains("a"));

  policy.insert("a", kSegment);
  policy.insert("c", kSegment);

  // In S, "a" would have gone before "c"; from M it goes once S is empty.
  EXPECT_EQ(drain(policy), (std::vector<std::string>{"b", "c", "a"}));
}

TEST(S3FifoPolicyTest, GhostForgetsOldestKeysBeyondTrackedCount) {
  S3FifoPolicy policy(kCapacity);
  policy.insert("old", kSegment);
  EXPECT_EQ(policy.evict(nothing_pinned), "old");
  policy.insert("x", kSegment);
  // G holds no more keys than are tracked, here one: "old" is forgotten.
  EXPECT_EQ(policy.evict(nothing_pinned), "x");

  policy.insert("old", kSegment);
  policy.insert("y", kSegment);
  EXPECT_EQ(drain(policy), (std::vector<std::string>{"old", "y"}));  // "old" came back into S.
}

TEST(S3FifoPolicyTest, MainReinsertsHitEntriesWithDecayingFrequency) {
  S3FifoPolicy policy(kCapacity);
  insert_into_main(policy, {"x", "y", "z"});
  policy.touch("x");
  policy.touch("x");
  policy.touch("y");

  // Round one: x 2->1, y 1->0, z evicted. Round two: x 1->0, y evicted. Then x.
  EXPECT_EQ(drain(policy), (std::vector<std::string>{"z", "y", "x"}));
}

TEST(S3FifoPolicyTest, FrequencySaturatesAtThree) {
  S3FifoPolicy policy(kCapacity);
  insert_into_main(policy, {"x", "y"});
  for (int i = 0; i < 10; ++i) policy.touch("x");
  for (int i = 0; i < 3; ++i) policy.touch("y");

  // Both saturate at three, so the older one runs out of rounds first.
  EXPECT_EQ(policy.evict(nothing_pinned), "x");
}

TEST(S3FifoPolicyTest, PinnedEntriesAreNeverEvicted) {
  S3FifoPolicy policy(kCapacity);
  insert_into_main(policy, {"m1", "m2"});
  for (const auto* key : {"s1", "s2", "s3"}) policy.insert(key, kSegment);
  const std::set<std::string> pins = {"s1", "m1"};
  const auto pinned = [&pins](const std::string& key) { return pins.contains(key); };

  EXPECT_EQ(policy.evict(pinned), "s2");
  EXPECT_EQ(policy.evict(pinned), "s3");
  EXPECT_EQ(policy.evict(pinned), "m2");  // S holds only pinned "s1", so M gives the victim.
  EXPECT_EQ(policy.evict(pinned), std::nullopt);
  EXPECT_EQ(policy.entries(), 2u);
}

TEST(S3FifoPolicyTest, PinnedEntryInSmallIsNotPromoted) {
  S3FifoPolicy policy(kCapacity);
  insert_into_main(policy, {"m"});
  policy.insert("a", kSegment);
  policy.insert("b", kSegment);

  EXPECT_EQ(policy.evict([](const std::string& key) { return key == "a"; }), "b");
  // Promoted to M, "a" would now sit behind "m" and S would be empty.
  EXPECT_EQ(policy.evict(nothing_pinned), "a");
}

TEST(S3FifoPolicyTest, EvictReturnsNulloptWhenEverythingIsPinned) {
  S3FifoPolicy policy(kCapacity);
  std::vector<std::string> main_keys;
  for (int i = 0; i < 100; ++i) main_keys.push_back("m" + std::to_string(i));
  insert_into_main(policy, main_keys);
  for (const auto& key : main_keys) policy.touch(key);
  for (int i = 0; i < 100; ++i) {
    const std::string key = "s" + std::to_string(i);
    policy.insert(key, kSegment);
    if (i % 2 == 0) policy.touch(key);
  }
  int calls = 0;
  const auto all_pinned = [&calls](const std::string&) {
    ++calls;
    return true;
  };

  EXPECT_EQ(policy.evict(all_pinned), std::nullopt);
  EXPECT_EQ(policy.entries(), 200u);
  EXPECT_LE(calls, 200);  // At most one look at each key.
  EXPECT_EQ(S3FifoPolicy(kCapacity).evict(all_pinned), std::nullopt);
}

TEST(S3FifoPolicyTest, EraseForgetsWithoutRememberingInGhost) {
  S3FifoPolicy policy(kCapacity);
  policy.insert("a", kSegment);
  policy.insert("b", kSegment);
  policy.erase("a");
  policy.erase("unknown");
  policy.touch("unknown");
  EXPECT_FALSE(policy.contains("a"));
  EXPECT_EQ(policy.bytes(), kSegment);

  policy.insert("a", kSegment);
  policy.insert("c", kSegment);
  // From G, "a" would have gone to M and been evicted last.
  EXPECT_EQ(drain(policy), (std::vector<std::string>{"b", "a", "c"}));
}

TEST(S3FifoPolicyTest, CountsBytesOfTrackedEntriesOnly) {
  S3FifoPolicy policy(kCapacity);
  policy.insert("metadata", 300);
  policy.insert("segment", kSegment);
  policy.insert("other", kSegment);
  EXPECT_EQ(policy.bytes(), 2 * kSegment + 300);
  EXPECT_EQ(policy.entries(), 3u);

  policy.touch("metadata");
  EXPECT_EQ(policy.evict(nothing_pinned), "segment");  // "metadata" moves to M on the way.
  EXPECT_EQ(policy.bytes(), kSegment + 300);

  policy.erase("metadata");
  EXPECT_EQ(policy.bytes(), kSegment);
  EXPECT_EQ(drain(policy), (std::vector<std::string>{"other"}));
  EXPECT_EQ(policy.bytes(), 0u);
  EXPECT_EQ(policy.entries(), 0u);
}

// A byte-bounded cache of segments that evicts as the policy says.
class S3FifoCache {
 public:
  explicit S3FifoCache(std::uint64_t capacity) : capacity_(capacity), policy_(capacity) {}

  bool get(const std::string& key) {
    if (policy_.contains(key)) {
      policy_.touch(key);
      return true;
    }
    while (policy_.bytes() + kSegment > capacity_) policy_.evict(nothing_pinned);
    policy_.insert(key, kSegment);
    return false;
  }

 private:
  std::uint64_t capacity_;
  S3FifoPolicy policy_;
};

// The reference: least recently used first.
class LruCache {
 public:
  explicit LruCache(std::uint64_t capacity) : max_entries_(capacity / kSegment) {}

  bool get(const std::string& key) {
    if (const auto it = index_.find(key); it != index_.end()) {
      order_.splice(order_.begin(), order_, it->second);
      return true;
    }
    if (order_.size() == max_entries_) {
      index_.erase(order_.back());
      order_.pop_back();
    }
    order_.push_front(key);
    index_[key] = order_.begin();
    return false;
  }

 private:
  std::size_t max_entries_;
  std::list<std::string> order_;
  std::unordered_map<std::string, std::list<std::string>::iterator> index_;
};

// Twenty popular segments are established, then a client streams 20,000 segments it never reads
// again while the popular ones keep being read now and then. Between two reads of a popular
// segment about 200 scan segments go by, more than the 100 the cache holds.
template <typename Cache>
double hot_hit_ratio_during_scan(Cache& cache) {
  constexpr int kHot = 20;
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < kHot; ++i) cache.get("hot" + std::to_string(i));
  }
  std::mt19937 random(42);
  int hot_reads = 0;
  int hot_hits = 0;
  for (int i = 0; i < 20'000; ++i) {
    if (random() % 10 == 0) {
      ++hot_reads;
      hot_hits += cache.get("hot" + std::to_string(random() % kHot));
    }
    cache.get("scan" + std::to_string(i));
  }
  return static_cast<double>(hot_hits) / hot_reads;
}

TEST(S3FifoPolicyTest, ScanDoesNotWipeOutPopularSegments) {
  S3FifoCache s3fifo(100 * kSegment);
  LruCache lru(100 * kSegment);

  const double s3fifo_ratio = hot_hit_ratio_during_scan(s3fifo);
  const double lru_ratio = hot_hit_ratio_during_scan(lru);

  EXPECT_GT(s3fifo_ratio, 0.95);
  EXPECT_LT(lru_ratio, 0.6);
  EXPECT_GT(s3fifo_ratio, lru_ratio + 0.3);
}

}  // namespace
}  // namespace casserole::cache
