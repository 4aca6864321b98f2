#include "http/cache_control.hpp"

#include <gtest/gtest.h>

#include "http/header_util.hpp"

namespace casserole::http {
namespace {

TEST(CacheControl, EmptyValueSetsNothing) {
  const CacheControl cc = parse_cache_control("");
  EXPECT_FALSE(cc.no_store || cc.no_cache || cc.is_private || cc.is_public || cc.must_revalidate ||
               cc.proxy_revalidate || cc.no_transform || cc.immutable);
  EXPECT_FALSE(cc.max_age || cc.s_maxage || cc.stale_while_revalidate || cc.stale_if_error);
}

TEST(CacheControl, EveryFlag) {
  const CacheControl cc = parse_cache_control(
      "no-store, no-cache, private, public, must-revalidate, proxy-revalidate, no-transform, "
      "immutable");
  EXPECT_TRUE(cc.no_store && cc.no_cache && cc.is_private && cc.is_public && cc.must_revalidate &&
              cc.proxy_revalidate && cc.no_transform && cc.immutable);
}

TEST(CacheControl, EveryDeltaSeconds) {
  const CacheControl cc = parse_cache_control(
      "max-age=60, s-maxage=120, stale-while-revalidate=30, stale-if-error=86400");
  EXPECT_EQ(cc.max_age, 60);
  EXPECT_EQ(cc.s_maxage, 120);
  EXPECT_EQ(cc.stale_while_revalidate, 30);
  EXPECT_EQ(cc.stale_if_error, 86400);
}

TEST(CacheControl, NamesAreCaseInsensitiveAndWhitespaceIsTolerated) {
  const CacheControl cc = parse_cache_control("  MAX-AGE = 7 ,\tNo-Store,,  Public ");
  EXPECT_EQ(cc.max_age, 7);
  EXPECT_TRUE(cc.no_store);
  EXPECT_TRUE(cc.is_public);
}

TEST(CacheControl, QuotedArguments) {
  EXPECT_EQ(parse_cache_control("max-age=\"60\"").max_age, 60);
  EXPECT_EQ(parse_cache_control("s-maxage=\"6\\0\"").s_maxage, 60);
  EXPECT_EQ(parse_cache_control("max-age=\"60").max_age, 0);
  EXPECT_EQ(parse_cache_control("max-age=\"60\"x").max_age, 0);
}

TEST(CacheControl, QualifiedFormsWithholdOnlyTheirFields) {
  const CacheControl cc = parse_cache_control(
      "no-cache=\"Set-Cookie, Set-Cookie2\", private=\"Authorization\", no-cache=X-Token");
  EXPECT_FALSE(cc.no_cache);
  EXPECT_FALSE(cc.is_private);
  EXPECT_FALSE(cc.is_public);
  EXPECT_EQ(cc.withheld_fields,
            (std::vector<std::string>{"Set-Cookie", "Set-Cookie2", "Authorization", "X-Token"}));
  // What cannot be read withholds everything.
  EXPECT_TRUE(parse_cache_control("no-cache=\"x").no_cache);
  EXPECT_TRUE(parse_cache_control("private=\"\"").is_private);
}

TEST(CacheControl, CommasAndDirectiveNamesInsideQuotesAreNotDirectives) {
  const CacheControl cc = parse_cache_control("no-cache=\"x, no-store, max-age=5\", public");
  EXPECT_EQ(cc.withheld_fields, (std::vector<std::string>{"x", "no-store", "max-age=5"}));
  EXPECT_FALSE(cc.no_store);
  EXPECT_FALSE(cc.max_age);
  EXPECT_TRUE(cc.is_public);
}

TEST(CacheControl, InvalidMaxAgeMeansStale) {
  for (std::string_view value : {"max-age=-1", "max-age=abc", "max-age=", "max-age", "max-age=1.5",
                                 "max-age=+5", "max-age=5 6"}) {
    EXPECT_EQ(parse_cache_control(value).max_age, 0) << value;
  }
  EXPECT_EQ(parse_cache_control("s-maxage=-5").s_maxage, 0);
}

TEST(CacheControl, InvalidStaleExtensionsAreIgnored) {
  const CacheControl cc = parse_cache_control("stale-while-revalidate=-1, stale-if-error");
  EXPECT_FALSE(cc.stale_while_revalidate);
  EXPECT_FALSE(cc.stale_if_error);
}

TEST(CacheControl, HugeValuesClampToTwoToTheThirtyFirst) {
  EXPECT_EQ(parse_cache_control("max-age=2147483649").max_age, kMaxDeltaSeconds);
  EXPECT_EQ(parse_cache_control("max-age=99999999999999999999999999").max_age, kMaxDeltaSeconds);
  EXPECT_EQ(parse_cache_control("max-age=2147483647").max_age, 2147483647);
}

TEST(CacheControl, DuplicatesKeepTheSmallestValue) {
  EXPECT_EQ(parse_cache_control("max-age=600, max-age=60").max_age, 60);
  EXPECT_EQ(parse_cache_control("max-age=60, max-age=600").max_age, 60);
  EXPECT_EQ(parse_cache_control("max-age=60, max-age=bogus").max_age, 0);
  EXPECT_EQ(parse_cache_control("stale-if-error=60, stale-if-error=bogus").stale_if_error, 60);
}

TEST(CacheControl, JoinedHeaderLines) {
  const CacheControl cc = parse_cache_control("public, max-age=3600, s-maxage=60");
  EXPECT_TRUE(cc.is_public);
  EXPECT_EQ(cc.max_age, 3600);
  EXPECT_EQ(cc.s_maxage, 60);
}

TEST(CacheControl, UnknownDirectivesAndLookalikesAreIgnored) {
  const CacheControl cc =
      parse_cache_control("community=\"UCI\", no-stores, max-ages=5, x-private, foo=\"a,b\"");
  EXPECT_FALSE(cc.no_store);
  EXPECT_FALSE(cc.max_age);
  EXPECT_FALSE(cc.is_private);
}

TEST(CacheControl, FlagsWithUnexpectedArgumentsStillCount) {
  EXPECT_TRUE(parse_cache_control("no-store=1").no_store);
  EXPECT_TRUE(parse_cache_control("must-revalidate=\"\"").must_revalidate);
}

TEST(RequestCacheControl, ValidationOnlyIfCachedAndPragma) {
  EXPECT_TRUE(parse_request_cache_control("no-cache", "").wants_validation());
  EXPECT_TRUE(parse_request_cache_control("max-age=0", "").wants_validation());
  EXPECT_FALSE(parse_request_cache_control("max-age=5", "").wants_validation());
  EXPECT_EQ(parse_request_cache_control("max-age=5", "").max_age, 5);
  EXPECT_TRUE(parse_request_cache_control("", "no-cache").wants_validation());
  EXPECT_FALSE(parse_request_cache_control("max-age=5", "no-cache").wants_validation())
      << "Pragma counts only without Cache-Control";
  EXPECT_TRUE(parse_request_cache_control("only-if-cached", "").only_if_cached);
  EXPECT_FALSE(parse_request_cache_control("", "").only_if_cached);
}

}  // namespace
}  // namespace casserole::http
