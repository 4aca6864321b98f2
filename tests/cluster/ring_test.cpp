#include "cluster/ring.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace casserole::cluster {
namespace {

std::string key(int i) {
  return "seg /objects/big.iso \"v1\" 2097152 " + std::to_string(i);
}

TEST(Ring, SameMembersInAnyOrderRankAlike) {
  Ring a({"http://a:8000", "http://b:8000", "http://c:8000"});
  Ring b({"http://c:8000", "http://a:8000", "http://b:8000", "http://a:8000"});
  EXPECT_EQ(b.members().size(), 3u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(a.ranked(key(i), 3), b.ranked(key(i), 3));
}

TEST(Ring, SpreadsKeysEvenly) {
  Ring ring({"http://a:8000", "http://b:8000", "http://c:8000", "http://d:8000"});
  std::map<std::string_view, int> owned;
  constexpr int kKeys = 8000;
  for (int i = 0; i < kKeys; ++i) ++owned[ring.ranked(key(i), 1).front()];
  ASSERT_EQ(owned.size(), 4u);
  for (const auto& [member, count] : owned) {
    EXPECT_GT(count, kKeys / 4 * 8 / 10) << member;
    EXPECT_LT(count, kKeys / 4 * 12 / 10) << member;
  }
}

TEST(Ring, AJoiningMemberTakesKeysOnlyForItselfAndTheOldOwnerComesSecond) {
  Ring before({"http://a:8000", "http://b:8000", "http://c:8000"});
  Ring after({"http://a:8000", "http://b:8000", "http://c:8000", "http://d:8000"});
  int moved = 0;
  for (int i = 0; i < 4000; ++i) {
    auto old_owner = before.ranked(key(i), 1).front();
    auto ranked = after.ranked(key(i), 2);
    if (ranked[0] != old_owner) {
      ++moved;
      EXPECT_EQ(ranked[0], "http://d:8000");
      EXPECT_EQ(ranked[1], old_owner);
    }
  }
  EXPECT_GT(moved, 4000 / 4 * 8 / 10);
  EXPECT_LT(moved, 4000 / 4 * 12 / 10);
}

TEST(Ring, ALeavingMembersKeysGoToTheirRunnerUp) {
  Ring before({"http://a:8000", "http://b:8000", "http://c:8000"});
  Ring after({"http://a:8000", "http://c:8000"});
  for (int i = 0; i < 2000; ++i) {
    auto ranked = before.ranked(key(i), 2);
    auto owner = after.ranked(key(i), 1).front();
    EXPECT_EQ(owner, ranked[0] == "http://b:8000" ? ranked[1] : ranked[0]);
  }
}

TEST(Ring, ExcludedMembersAreSkipped) {
  Ring ring({"http://a:8000", "http://b:8000", "http://c:8000"});
  for (int i = 0; i < 500; ++i) {
    auto all = ring.ranked(key(i), 3);
    auto without_first = ring.ranked(key(i), 3, [&](std::string_view m) { return m == all[0]; });
    ASSERT_EQ(without_first.size(), 2u);
    EXPECT_EQ(without_first[0], all[1]);
    EXPECT_EQ(without_first[1], all[2]);
  }
  EXPECT_TRUE(Ring({}).ranked("k", 2).empty());
}

}  // namespace
}  // namespace casserole::cluster
