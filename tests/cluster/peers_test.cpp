#include "cluster/peers.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>

namespace casserole::cluster {
namespace {

using namespace std::chrono_literals;

const std::string kSelf = "http://a:8000";

std::string key(int i) {
  return "seg /big.iso \"v1\" 2097152 " + std::to_string(i);
}

TEST(Peers, AloneEveryKeyIsOwnedHere) {
  Peers peers(kSelf);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(peers.owner(key(i)), std::nullopt);
    EXPECT_EQ(peers.previous_owner(key(i)), std::nullopt);
  }
  EXPECT_EQ(peers.ring().members(), std::vector<std::string>{kSelf});
}

TEST(Peers, SelfIsAlwaysAMember) {
  Peers peers(kSelf);
  peers.update({"http://b:8000", "http://c:8000"});
  EXPECT_EQ(peers.ring().members(),
            (std::vector<std::string>{kSelf, "http://b:8000", "http://c:8000"}));
}

TEST(Peers, OwnersAgreeWithTheRingAndPreviousOwnerIsTheRunnerUp) {
  Peers peers(kSelf);
  peers.update({"http://b:8000", "http://c:8000"});
  std::map<std::string, int> owned;
  for (int i = 0; i < 300; ++i) {
    auto ranked = peers.ring().ranked(key(i), 2);
    auto owner = peers.owner(key(i));
    ++owned[owner.value_or(kSelf)];
    if (ranked[0] == kSelf) {
      EXPECT_EQ(owner, std::nullopt);
      // The runner-up owned the key before this node joined.
      EXPECT_EQ(peers.previous_owner(key(i)), std::string(ranked[1]));
    } else {
      EXPECT_EQ(owner, std::string(ranked[0]));
    }
  }
  EXPECT_EQ(owned.size(), 3u) << "a large object's segments spread over every node";
}

TEST(Peers, SuspectOwnsNothingUntilItsTimeIsUp) {
  Peers peers(kSelf);
  peers.update({"http://b:8000"});
  int moved = 0;
  peers.suspect("http://b:8000", 200ms);
  EXPECT_TRUE(peers.suspected("http://b:8000"));
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(peers.owner(key(i)), std::nullopt);
    EXPECT_EQ(peers.previous_owner(key(i)), std::nullopt);
  }
  std::this_thread::sleep_for(250ms);
  EXPECT_FALSE(peers.suspected("http://b:8000"));
  for (int i = 0; i < 100; ++i) moved += peers.owner(key(i)).has_value();
  EXPECT_GT(moved, 0);
}

TEST(Peers, ThisNodeIsNeverSuspectAndLeaversAreForgotten) {
  Peers peers(kSelf);
  peers.suspect(kSelf, 1h);
  EXPECT_FALSE(peers.suspected(kSelf));
  peers.update({"http://b:8000"});
  peers.suspect("http://b:8000", 1h);
  peers.update({});
  peers.update({"http://b:8000"});
  EXPECT_FALSE(peers.suspected("http://b:8000")) << "a node that left and came back is trusted";
}

}  // namespace
}  // namespace casserole::cluster
