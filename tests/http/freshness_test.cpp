#include "http/freshness.hpp"

#include <gtest/gtest.h>

#include "http/header_util.hpp"

namespace casserole::http {
namespace {

using namespace std::chrono;

// The response arrived at 2024-03-01 12:00:10, two seconds after the request went out; the
// origin's Date says 12:00:00, so the response looks ten seconds old.
constexpr system_clock::time_point kDate{sys_days{2024y / March / 1} + 12h};
constexpr system_clock::time_point kRequestTime = kDate + 8s;
constexpr system_clock::time_point kResponseTime = kDate + 10s;
constexpr std::string_view kDateHeader = "Fri, 01 Mar 2024 12:00:00 GMT";

FreshnessInput input() {
  FreshnessInput in;
  in.date = kDateHeader;
  in.request_time = kRequestTime;
  in.response_time = kResponseTime;
  return in;
}

TEST(Freshness, SMaxageWinsOverEverything) {
  FreshnessInput in = input();
  in.cache_control = "max-age=60, s-maxage=600";
  in.expires = "Fri, 01 Mar 2024 13:00:00 GMT";
  in.last_modified = "Fri, 01 Mar 2023 12:00:00 GMT";
  const Freshness f = compute_freshness(in);
  EXPECT_EQ(f.lifetime, 600s);
  EXPECT_EQ(f.basis, Freshness::Basis::stated);
}

TEST(Freshness, MaxAgeWinsOverExpires) {
  FreshnessInput in = input();
  in.cache_control = "max-age=60";
  in.expires = "Fri, 01 Mar 2024 13:00:00 GMT";
  EXPECT_EQ(compute_freshness(in).lifetime, 60s);
}

TEST(Freshness, ExpiresMinusDate) {
  FreshnessInput in = input();
  in.cache_control = "public";
  in.expires = "Fri, 01 Mar 2024 13:00:00 GMT";
  in.last_modified = "Fri, 01 Mar 2023 12:00:00 GMT";
  const Freshness f = compute_freshness(in);
  EXPECT_EQ(f.lifetime, 1h);
  EXPECT_EQ(f.basis, Freshness::Basis::stated);
}

TEST(Freshness, ExpiresWithoutDateUsesResponseTime) {
  FreshnessInput in = input();
  in.date = "";
  in.expires = "Fri, 01 Mar 2024 13:00:00 GMT";
  EXPECT_EQ(compute_freshness(in).lifetime, 1h - 10s);
  in.date = "yesterday";
  EXPECT_EQ(compute_freshness(in).lifetime, 1h - 10s);
}

TEST(Freshness, InvalidOrPastExpiresIsExpired) {
  FreshnessInput in = input();
  in.last_modified = "Fri, 01 Mar 2023 12:00:00 GMT";
  for (std::string_view expires : {"0", "-1", "never", "Fri, 01 Mar 2024 11:00:00 GMT"}) {
    in.expires = expires;
    const Freshness f = compute_freshness(in);
    EXPECT_EQ(f.lifetime, 0s) << expires;
    EXPECT_NE(f.basis, Freshness::Basis::heuristic) << expires;
  }
}

TEST(Freshness, NoCacheMeansZeroLifetime) {
  FreshnessInput in = input();
  in.cache_control = "no-cache, s-maxage=600";
  in.expires = "Fri, 01 Mar 2024 13:00:00 GMT";
  EXPECT_EQ(compute_freshness(in).lifetime, 0s);
}

TEST(Freshness, HeuristicIsTenPercentOfTheAge) {
  FreshnessInput in = input();
  in.last_modified = "Fri, 01 Mar 2024 10:00:00 GMT";
  const Freshness f = compute_freshness(in);
  EXPECT_EQ(f.lifetime, 12min);
  EXPECT_EQ(f.basis, Freshness::Basis::heuristic);
}

TEST(Freshness, HeuristicIsCappedAtOneDay) {
  FreshnessInput in = input();
  in.last_modified = "Fri, 01 Mar 2019 12:00:00 GMT";
  const Freshness f = compute_freshness(in);
  EXPECT_EQ(f.lifetime, kMaxHeuristicLifetime);
  EXPECT_EQ(f.lifetime, 24h);
  EXPECT_EQ(f.basis, Freshness::Basis::heuristic);
}

TEST(Freshness, HeuristicOnlyForHeuristicallyCacheableStatuses) {
  FreshnessInput in = input();
  in.last_modified = "Fri, 01 Mar 2024 10:00:00 GMT";
  for (int status : {200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501}) {
    in.status = status;
    EXPECT_EQ(compute_freshness(in).lifetime, 12min) << status;
  }
  for (int status : {201, 302, 303, 307, 400, 403, 500, 502, 503}) {
    in.status = status;
    const Freshness f = compute_freshness(in);
    EXPECT_EQ(f.lifetime, 0s) << status;
    EXPECT_EQ(f.basis, Freshness::Basis::none) << status;
  }
}

TEST(Freshness, ExplicitLifetimeAppliesToAnyStatus) {
  FreshnessInput in = input();
  in.status = 302;
  in.cache_control = "max-age=30";
  EXPECT_EQ(compute_freshness(in).lifetime, 30s);
}

TEST(Freshness, NothingToGoOnIsZero) {
  const Freshness f = compute_freshness(input());
  EXPECT_EQ(f.lifetime, 0s);
  EXPECT_EQ(f.basis, Freshness::Basis::none);
}

TEST(Freshness, LastModifiedInTheFutureGivesNoHeuristicLifetime) {
  FreshnessInput in = input();
  in.last_modified = "Sat, 02 Mar 2024 12:00:00 GMT";
  EXPECT_EQ(compute_freshness(in).lifetime, 0s);
}

TEST(Freshness, HugeExpiresClampsToTwoToTheThirtyFirst) {
  FreshnessInput in = input();
  in.expires = "Fri, 31 Dec 9999 23:59:59 GMT";
  EXPECT_EQ(compute_freshness(in).lifetime, seconds{kMaxDeltaSeconds});
  in.cache_control = "max-age=99999999999999999999";
  EXPECT_EQ(compute_freshness(in).lifetime, seconds{kMaxDeltaSeconds});
}

TEST(InitialAge, ApparentAgeFromDate) {
  // apparent_age = 10s beats age_value + response_delay = 0 + 2s.
  EXPECT_EQ(compute_freshness(input()).initial_age, 10s);
}

TEST(InitialAge, AgeHeaderPlusResponseDelay) {
  FreshnessInput in = input();
  in.age = "100";
  EXPECT_EQ(compute_freshness(in).initial_age, 102s);
}

TEST(InitialAge, InvalidAgeIsIgnored) {
  FreshnessInput in = input();
  in.date = "";
  for (std::string_view age : {"-5", "abc", "1.5", "5, 7"}) {
    in.age = age;
    EXPECT_EQ(compute_freshness(in).initial_age, 2s) << age;
  }
  in.age = " 5 ";
  EXPECT_EQ(compute_freshness(in).initial_age, 7s);
}

TEST(InitialAge, OriginClockAheadOfOursGivesNoNegativeAge) {
  FreshnessInput in = input();
  in.date = "Fri, 01 Mar 2024 13:00:00 GMT";
  EXPECT_EQ(compute_freshness(in).initial_age, 2s);
}

TEST(InitialAge, ResponseBeforeRequestGivesNoNegativeDelay) {
  FreshnessInput in = input();
  in.date = "";
  in.request_time = kResponseTime + 5s;
  EXPECT_EQ(compute_freshness(in).initial_age, 0s);
}

TEST(InitialAge, HugeAgeClamps) {
  FreshnessInput in = input();
  in.age = "99999999999999999999";
  EXPECT_EQ(compute_freshness(in).initial_age, seconds{kMaxDeltaSeconds});
}

TEST(CurrentAge, AddsResidentTime) {
  const Freshness f = compute_freshness(input());
  EXPECT_EQ(current_age(f, kResponseTime, kResponseTime), 10s);
  EXPECT_EQ(current_age(f, kResponseTime, kResponseTime + 50s), 60s);
  EXPECT_EQ(current_age(f, kResponseTime, kResponseTime + 50s + 999ms), 60s);
}

TEST(CurrentAge, ClockGoingBackwardsAddsNothing) {
  const Freshness f = compute_freshness(input());
  EXPECT_EQ(current_age(f, kResponseTime, kResponseTime - 1h), 10s);
}

TEST(CurrentAge, ClampsToTwoToTheThirtyFirst) {
  Freshness f;
  f.initial_age = seconds{kMaxDeltaSeconds};
  EXPECT_EQ(current_age(f, kResponseTime, kResponseTime + 1h), seconds{kMaxDeltaSeconds});
}

}  // namespace
}  // namespace casserole::http
