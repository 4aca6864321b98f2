#include "http/cache_status.hpp"

#include <gtest/gtest.h>

namespace casserole::http {
namespace {

using Forward = CacheStatus::Forward;
using Kind = CacheStatus::Kind;

TEST(CacheStatus, AHitIsOneParameter) {
  const CacheStatus status{.hit = true};
  EXPECT_EQ(status.field_value(), "casserole; hit");
  EXPECT_EQ(status.kind(), Kind::hit);
}

TEST(CacheStatus, ParametersComeInTheRfcsOrder) {
  const CacheStatus status{.fwd = Forward::uri_miss,
                           .fwd_status = 200,
                           .stored = true,
                           .collapsed = true,
                           .detail = "peer"};
  EXPECT_EQ(status.field_value(),
            "casserole; fwd=uri-miss; fwd-status=200; stored; collapsed; "
            "detail=peer");
}

TEST(CacheStatus, KindsFollowFromTheForwardReason) {
  EXPECT_EQ((CacheStatus{}).kind(), Kind::none);
  EXPECT_EQ((CacheStatus{.fwd = Forward::uri_miss, .stored = true}).kind(), Kind::miss);
  EXPECT_EQ((CacheStatus{.fwd = Forward::partial, .stored = true}).kind(), Kind::miss);
  EXPECT_EQ((CacheStatus{.fwd = Forward::miss, .stored = true, .collapsed = true}).kind(),
            Kind::collapsed);
  EXPECT_EQ((CacheStatus{.fwd = Forward::stale, .fwd_status = 304}).kind(), Kind::stale);
  EXPECT_EQ((CacheStatus{.fwd = Forward::request, .fwd_status = 304}).kind(), Kind::stale);
  EXPECT_EQ((CacheStatus{.fwd = Forward::bypass, .detail = "authorization"}).kind(), Kind::pass);
  EXPECT_EQ((CacheStatus{.fwd = Forward::method}).kind(), Kind::pass);
  EXPECT_EQ((CacheStatus{.fwd = Forward::vary_miss}).kind(), Kind::pass);
  EXPECT_EQ((CacheStatus{.fwd = Forward::uri_miss, .detail = "uncacheable"}).kind(), Kind::pass);
}

TEST(CacheStatus, KindsHaveMetricLabels) {
  EXPECT_STREQ(to_string(Kind::hit), "hit");
  EXPECT_STREQ(to_string(Kind::collapsed), "collapsed");
  EXPECT_STREQ(to_string(Kind::none), "none");
}

}  // namespace
}  // namespace casserole::http
