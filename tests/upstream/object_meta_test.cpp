#include "upstream/object_meta.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "http/http_date.hpp"

namespace casserole::upstream {
namespace {

using namespace std::chrono;
using Clock = ObjectMeta::Clock;

// The HEAD went out at 12:00:00 and its answer, dated 12:00:00, arrived at once: no initial age,
// so every lifetime below is also the remaining lifetime.
constexpr Clock::time_point kNow{sys_days{2024y / March / 1} + 12h};
constexpr std::string_view kDate = "Fri, 01 Mar 2024 12:00:00 GMT";
constexpr std::string_view kLastModified = "Thu, 01 Feb 2024 12:00:00 GMT";
const StoreRules kRules{.min_ttl = seconds{60}};

HeaderList cacheable_headers() {
  return {{"Date", std::string(kDate)},
          {"Content-Type", "application/octet-stream"},
          {"Content-Length", "10485760"},
          {"ETag", "\"v1\""},
          {"Last-Modified", std::string(kLastModified)},
          {"Cache-Control", "public, max-age=3600"}};
}

ObjectMeta head(HeaderList headers, unsigned status = 200) {
  return ObjectMeta::from_head(status, std::move(headers), kNow, kNow, kRules);
}

HeaderList remove(HeaderList headers, std::string_view name) {
  std::erase_if(headers, [&](const auto& field) { return field.first == name; });
  return headers;
}

HeaderList set(HeaderList headers, std::string_view name, std::string value) {
  headers = remove(std::move(headers), name);
  headers.emplace_back(name, std::move(value));
  return headers;
}

HeaderList without(std::string_view name) {
  return remove(cacheable_headers(), name);
}

HeaderList with(std::string_view name, std::string value) {
  return set(cacheable_headers(), name, std::move(value));
}

void expect_refused(const ObjectMeta& meta, std::string_view reason_fragment) {
  EXPECT_FALSE(meta.cacheable());
  EXPECT_NE(meta.not_cacheable_reason().find(reason_fragment), std::string::npos)
      << "reason: " << meta.not_cacheable_reason();
}

TEST(ObjectMeta, CacheableWithMaxAgeAndETag) {
  ObjectMeta meta = head(cacheable_headers());
  EXPECT_TRUE(meta.cacheable()) << meta.not_cacheable_reason();
  EXPECT_TRUE(meta.not_cacheable_reason().empty());
  EXPECT_EQ(meta.status(), 200u);
  EXPECT_EQ(meta.length(), 10485760u);
  ASSERT_TRUE(meta.etag());
  EXPECT_EQ(meta.etag()->opaque, "\"v1\"");
  EXPECT_FALSE(meta.etag()->weak);
  EXPECT_EQ(meta.last_modified(), kLastModified);
}

TEST(ObjectMeta, StatusOtherThan200IsNotCacheable) {
  expect_refused(head(cacheable_headers(), 404), "404");
  expect_refused(head(cacheable_headers(), 206), "206");
}

TEST(ObjectMeta, MissingContentLengthIsNotCacheable) {
  ObjectMeta meta = head(without("Content-Length"));
  EXPECT_FALSE(meta.length());
  expect_refused(meta, "Content-Length");
}

TEST(ObjectMeta, MalformedContentLengthIsNotCacheable) {
  EXPECT_FALSE(head(with("Content-Length", "12abc")).cacheable());
  EXPECT_FALSE(head(with("Content-Length", "-1")).cacheable());
  EXPECT_FALSE(head(with("Content-Length", "")).cacheable());
}

TEST(ObjectMeta, NoStoreIsNotCacheable) {
  expect_refused(head(with("Cache-Control", "max-age=3600, no-store")), "no-store");
}

TEST(ObjectMeta, PrivateIsNotCacheable) {
  expect_refused(head(with("Cache-Control", "private, max-age=3600")), "private");
}

TEST(ObjectMeta, DirectivesOnSeparateCacheControlLinesAreCombined) {
  HeaderList headers = cacheable_headers();
  headers.emplace_back("Cache-Control", "no-store");
  expect_refused(head(headers), "no-store");
}

TEST(ObjectMeta, SetCookieIsNotCacheable) {
  HeaderList headers = cacheable_headers();
  headers.emplace_back("set-cookie", "session=1");
  expect_refused(head(headers), "Set-Cookie");
}

TEST(ObjectMeta, VaryStarIsNotCacheable) {
  expect_refused(head(with("Vary", "Accept-Encoding, *")), "Vary");
  EXPECT_TRUE(head(with("Vary", "Accept-Encoding")).cacheable());
}

TEST(ObjectMeta, AcceptRangesNoneIsNotCacheable) {
  EXPECT_FALSE(head(with("Accept-Ranges", "none")).cacheable());
  EXPECT_TRUE(head(with("Accept-Ranges", "bytes")).cacheable());
}

TEST(ObjectMeta, NoValidatorIsNotCacheable) {
  expect_refused(head(remove(without("ETag"), "Last-Modified")), "validator");
}

TEST(ObjectMeta, WeakETagAloneIsNotAValidator) {
  expect_refused(head(remove(with("ETag", "W/\"v1\""), "Last-Modified")), "validator");
}

TEST(ObjectMeta, WeakETagWithLastModifiedIsCacheable) {
  EXPECT_TRUE(head(with("ETag", "W/\"v1\"")).cacheable());
}

TEST(ObjectMeta, LastModifiedAloneIsAValidator) {
  EXPECT_TRUE(head(without("ETag")).cacheable());
}

TEST(ObjectMeta, LifetimeBelowMinTtlIsNotCacheable) {
  expect_refused(head(with("Cache-Control", "max-age=30")), "30");
  EXPECT_TRUE(head(with("Cache-Control", "max-age=60")).cacheable());
}

TEST(ObjectMeta, AgeHeaderShortensTheRemainingLifetime) {
  // 100 s of lifetime, 50 s of it spent upstream: 50 s left, under the 60 s minimum.
  HeaderList headers = with("Cache-Control", "max-age=100");
  headers.emplace_back("Age", "50");
  EXPECT_FALSE(head(headers).cacheable());

  headers = with("Cache-Control", "max-age=100");
  headers.emplace_back("Age", "30");
  EXPECT_TRUE(head(headers).cacheable());
}

TEST(ObjectMeta, OldDateShortensTheRemainingLifetime) {
  // Dated 50 s before it arrived: apparent age 50 s.
  HeaderList headers = with("Cache-Control", "max-age=100");
  EXPECT_FALSE(head(set(headers, "Date", "Fri, 01 Mar 2024 11:59:10 GMT")).cacheable());
  EXPECT_TRUE(head(set(headers, "Date", "Fri, 01 Mar 2024 11:59:30 GMT")).cacheable());
}

TEST(ObjectMeta, SMaxageOverridesMaxAge) {
  EXPECT_TRUE(head(with("Cache-Control", "max-age=10, s-maxage=3600")).cacheable());
  EXPECT_FALSE(head(with("Cache-Control", "max-age=3600, s-maxage=10")).cacheable());
}

TEST(ObjectMeta, ExpiresGivesTheLifetime) {
  HeaderList headers = without("Cache-Control");
  headers.emplace_back("Expires", "Fri, 01 Mar 2024 14:00:00 GMT");
  ObjectMeta meta = head(headers);
  EXPECT_TRUE(meta.cacheable()) << meta.not_cacheable_reason();
  EXPECT_TRUE(meta.fresh(kNow + 2h - 1s));
  EXPECT_FALSE(meta.fresh(kNow + 2h));

  headers = without("Cache-Control");
  headers.emplace_back("Expires", "Fri, 01 Mar 2024 12:00:30 GMT");
  EXPECT_FALSE(head(headers).cacheable());

  headers = without("Cache-Control");
  headers.emplace_back("Expires", "0");
  EXPECT_FALSE(head(headers).cacheable());
}

TEST(ObjectMeta, HeuristicLifetimeFromLastModified) {
  // Modified 29 days before Date: a tenth is 2.9 days, capped at one day.
  ObjectMeta meta = head(without("Cache-Control"));
  EXPECT_TRUE(meta.cacheable()) << meta.not_cacheable_reason();
  EXPECT_TRUE(meta.fresh(kNow + 24h - 1s));
  EXPECT_FALSE(meta.fresh(kNow + 24h));

  // Modified five minutes before Date: thirty seconds, under the minimum.
  EXPECT_FALSE(head(set(without("Cache-Control"), "Last-Modified", "Fri, 01 Mar 2024 11:55:00 GMT"))
                   .cacheable());
}

TEST(ObjectMeta, AgeGrowsWithResidentTime) {
  HeaderList headers = cacheable_headers();
  headers.emplace_back("Age", "100");
  ObjectMeta meta = head(headers);
  EXPECT_EQ(meta.age(kNow), 100s);
  EXPECT_EQ(meta.age(kNow + 60s), 160s);
  EXPECT_TRUE(meta.fresh(kNow + 3499s));
  EXPECT_FALSE(meta.fresh(kNow + 3500s));
}

TEST(ObjectMeta, VersionIdentifiesTheRepresentation) {
  const std::string base = head(cacheable_headers()).version();
  EXPECT_EQ(base, head(cacheable_headers()).version());
  EXPECT_NE(base, head(with("ETag", "\"v2\"")).version());
  EXPECT_NE(base, head(with("Content-Length", "10485761")).version());
  // Without a strong ETag, Last-Modified names the version.
  const std::string by_date = head(without("ETag")).version();
  EXPECT_EQ(by_date, head(without("ETag")).version());
  EXPECT_NE(by_date,
            head(set(without("ETag"), "Last-Modified", "Fri, 02 Feb 2024 12:00:00 GMT")).version());
  EXPECT_NE(by_date, base);
}

TEST(ObjectMeta, VersionIgnoresFreshness) {
  EXPECT_EQ(head(cacheable_headers()).version(),
            head(with("Cache-Control", "max-age=7200")).version());
}

TEST(ObjectMeta, FetchConditionsUseIfMatchForAStrongETag) {
  EXPECT_EQ(head(cacheable_headers()).fetch_conditions(), (HeaderList{{"If-Match", "\"v1\""}}));
}

TEST(ObjectMeta, FetchConditionsUseIfUnmodifiedSinceOtherwise) {
  const HeaderList expected{{"If-Unmodified-Since", std::string(kLastModified)}};
  EXPECT_EQ(head(without("ETag")).fetch_conditions(), expected);
  EXPECT_EQ(head(with("ETag", "W/\"v1\"")).fetch_conditions(), expected);
}

TEST(ObjectMeta, RevalidationConditionsCarryEveryValidator) {
  EXPECT_EQ(
      head(cacheable_headers()).revalidation_conditions(),
      (HeaderList{{"If-None-Match", "\"v1\""}, {"If-Modified-Since", std::string(kLastModified)}}));
  EXPECT_EQ(head(with("ETag", "W/\"v1\"")).revalidation_conditions(),
            (HeaderList{{"If-None-Match", "W/\"v1\""},
                        {"If-Modified-Since", std::string(kLastModified)}}));
  EXPECT_EQ(head(without("ETag")).revalidation_conditions(),
            (HeaderList{{"If-Modified-Since", std::string(kLastModified)}}));
}

TEST(ObjectMeta, RevalidatedRefreshesFreshnessAndKeepsTheLength) {
  const ObjectMeta stored = head(cacheable_headers());
  const Clock::time_point later = kNow + 2h;
  ASSERT_FALSE(stored.fresh(later));

  const HeaderList not_modified{{"Date", http::format_http_date(later)},
                                {"ETag", "\"v1\""},
                                {"Cache-Control", "max-age=7200"},
                                {"Content-Length", "0"}};
  const ObjectMeta refreshed = stored.revalidated(not_modified, later, later, kRules);
  EXPECT_TRUE(refreshed.cacheable()) << refreshed.not_cacheable_reason();
  EXPECT_EQ(refreshed.length(), 10485760u);
  EXPECT_EQ(first_value(refreshed.headers(), "Content-Length"), "10485760");
  EXPECT_EQ(joined_values(refreshed.headers(), "Cache-Control"), "max-age=7200");
  EXPECT_EQ(refreshed.age(later), 0s);
  EXPECT_TRUE(refreshed.fresh(later + 2h - 1s));
  EXPECT_FALSE(refreshed.fresh(later + 2h));
  EXPECT_EQ(refreshed.version(), stored.version());
  // Fields the 304 did not mention stay as stored.
  EXPECT_EQ(first_value(refreshed.headers(), "Content-Type"), "application/octet-stream");
  EXPECT_EQ(refreshed.last_modified(), kLastModified);
}

TEST(ObjectMeta, RevalidatedBy304WithoutDateCountsFromItsArrival) {
  // RFC 9110 §6.6.1: a response without Date is dated when it is received, so the stored Date
  // (two hours old) must not make the refreshed object look two hours old.
  const ObjectMeta stored = head(cacheable_headers());
  const Clock::time_point later = kNow + 2h;
  const ObjectMeta refreshed = stored.revalidated({{"ETag", "\"v1\""}}, later, later, kRules);
  EXPECT_TRUE(refreshed.cacheable()) << refreshed.not_cacheable_reason();
  EXPECT_EQ(refreshed.age(later), 0s);
  EXPECT_TRUE(refreshed.fresh(later + 1h - 1s));
}

TEST(ObjectMeta, RevalidatedIgnoresTheFirstAnswersAge) {
  // The first answer came through a cache that had held it 3000 s; the 304 is a new answer.
  const ObjectMeta stored = head(set(cacheable_headers(), "Age", "3000"));
  const Clock::time_point later = kNow + 2h;
  const ObjectMeta refreshed = stored.revalidated(
      {{"Date", http::format_http_date(later)}, {"ETag", "\"v1\""}}, later, later, kRules);
  EXPECT_EQ(refreshed.age(later), 0s);
  EXPECT_TRUE(refreshed.fresh(later + 1h - 1s));
}

TEST(ObjectMeta, StaleMayBeServedUnlessTheObjectForbidsIt) {
  EXPECT_TRUE(head(cacheable_headers()).may_serve_stale());
  for (const char* directive : {"must-revalidate", "proxy-revalidate", "no-cache"}) {
    EXPECT_FALSE(
        head(set(cacheable_headers(), "Cache-Control", std::string("max-age=3600, ") + directive))
            .may_serve_stale())
        << directive;
  }
}

TEST(ObjectMeta, RevalidatedCanTurnUncacheable) {
  const ObjectMeta stored = head(cacheable_headers());
  const Clock::time_point later = kNow + 2h;
  const ObjectMeta refreshed =
      stored.revalidated({{"Date", http::format_http_date(later)}, {"Cache-Control", "no-store"}},
                         later, later, kRules);
  EXPECT_FALSE(refreshed.cacheable());
}

TEST(ObjectMeta, HopByHopFieldsAreDropped) {
  HeaderList headers = cacheable_headers();
  headers.emplace_back("Connection", "keep-alive, X-Trace");
  headers.emplace_back("Keep-Alive", "timeout=5");
  headers.emplace_back("Transfer-Encoding", "chunked");
  headers.emplace_back("x-trace", "abc");
  headers.emplace_back("X-Kept", "yes");
  const ObjectMeta meta = head(headers);
  for (const char* gone : {"Connection", "Keep-Alive", "Transfer-Encoding", "X-Trace"}) {
    EXPECT_FALSE(has_field(meta.headers(), gone)) << gone;
  }
  EXPECT_EQ(first_value(meta.headers(), "X-Kept"), "yes");
  EXPECT_EQ(meta.headers().size(), cacheable_headers().size() + 1);
}

TEST(ObjectMeta, RevalidatedDropsHopByHopFieldsOfThe304) {
  const ObjectMeta stored = head(cacheable_headers());
  const Clock::time_point later = kNow + 2h;
  const ObjectMeta refreshed = stored.revalidated({{"Date", http::format_http_date(later)},
                                                   {"Connection", "close"},
                                                   {"Keep-Alive", "timeout=5"}},
                                                  later, later, kRules);
  EXPECT_FALSE(has_field(refreshed.headers(), "Connection"));
  EXPECT_FALSE(has_field(refreshed.headers(), "Keep-Alive"));
}

TEST(ObjectMeta, RefusedKeepsTheMetadataButIsNotCacheable) {
  const ObjectMeta meta = head(cacheable_headers());
  const ObjectMeta refused = meta.refused("ranges ignored");
  EXPECT_TRUE(meta.cacheable());
  EXPECT_FALSE(refused.cacheable());
  EXPECT_EQ(refused.not_cacheable_reason(), "ranges ignored");
  EXPECT_EQ(refused.version(), meta.version());
  EXPECT_EQ(refused.length(), meta.length());
  EXPECT_EQ(refused.headers(), meta.headers());
  EXPECT_TRUE(refused.fresh(kNow + 10s));
}

TEST(ObjectMeta, VaryFieldsListsEveryName) {
  HeaderList headers = with("Vary", "Accept-Encoding, Origin");
  headers.emplace_back("Vary", "Accept-Language");
  EXPECT_EQ(head(headers).vary_fields(),
            (std::vector<std::string>{"Accept-Encoding", "Origin", "Accept-Language"}));
  EXPECT_TRUE(head(cacheable_headers()).vary_fields().empty());
}

// What the operator declares (cache_policy.hpp) for an origin that says nothing.
HeaderList silent_headers(std::string length = "1000") {
  return {{"Date", std::string(kDate)}, {"Content-Length", std::move(length)}};
}

ObjectMeta head_with(const StoreRules& rules, HeaderList headers, Clock::time_point at = kNow) {
  return ObjectMeta::from_head(200, std::move(headers), at, at, rules);
}

TEST(ObjectMeta, AnObjectOfOneAnswerNeedsNoValidatorButEachAnswerIsItsOwnVersion) {
  const StoreRules rules{.ttl = hours(1), .one_answer_size = 1000};
  const ObjectMeta first = head_with(rules, silent_headers());
  EXPECT_TRUE(first.cacheable()) << first.not_cacheable_reason();
  EXPECT_TRUE(first.fetch_conditions().empty());
  const ObjectMeta again = head_with(rules, silent_headers(), kNow + hours(2));
  EXPECT_NE(first.version(), again.version()) << "a refetch could be other bytes";
  expect_refused(head_with(rules, silent_headers("1001")), "validator");
}

TEST(ObjectMeta, ImmutablePathsNeedNoValidatorAndStayFresh) {
  const StoreRules rules{.immutable = true};
  const ObjectMeta meta = head_with(rules, silent_headers("104857600"));
  EXPECT_TRUE(meta.cacheable()) << meta.not_cacheable_reason();
  EXPECT_TRUE(meta.fresh(kNow + days(300)));
  EXPECT_EQ(meta.version(),
            head_with(rules, silent_headers("104857600"), kNow + hours(5)).version())
      << "the same path and length are the same bytes";
  EXPECT_NE(meta.version(), head_with(rules, silent_headers("5"), kNow).version());
  expect_refused(head_with(rules, set(silent_headers(), "Cache-Control", "no-store")), "no-store");
}

TEST(ObjectMeta, PathTtlReplacesTheAnswersLifetimeButNotWhatForbidsStoring) {
  const StoreRules rules{.ttl = hours(1)};
  const ObjectMeta meta = head(with("Cache-Control", "max-age=5"));
  EXPECT_FALSE(meta.cacheable()) << "5 s is under min-ttl";
  const ObjectMeta ruled = head_with(rules, with("Cache-Control", "max-age=5"));
  EXPECT_TRUE(ruled.cacheable()) << ruled.not_cacheable_reason();
  EXPECT_EQ(ruled.remaining_freshness(kNow), hours(1));
  expect_refused(head_with(rules, with("Cache-Control", "private")), "private");
  expect_refused(head_with(rules, with("Set-Cookie", "a=b")), "Set-Cookie");
}

TEST(ObjectMeta, DefaultTtlOnlyWhenTheAnswerGivesNoLifetime) {
  const StoreRules rules{.default_ttl = hours(2)};
  const HeaderList unstated = remove(without("Cache-Control"), "Last-Modified");
  EXPECT_EQ(head_with(rules, unstated).remaining_freshness(kNow), hours(2));
  EXPECT_FALSE(head(unstated).cacheable());
  // A stated lifetime, even zero, and a heuristic one are the answer's own.
  EXPECT_EQ(head_with(rules, set(unstated, "Cache-Control", "max-age=0")).remaining_freshness(kNow),
            seconds(0));
  EXPECT_EQ(head_with(rules, without("Cache-Control")).remaining_freshness(kNow),
            head(without("Cache-Control")).remaining_freshness(kNow));
}

TEST(CachePolicy, RulesForAPathTakeTheFirstMatchingTtlAndIgnoreTheQuery) {
  const CachePolicy policy{.min_ttl = seconds(5),
                           .default_ttl = seconds(7),
                           .ttl = {{"/pool/*.deb", hours(1)}, {"/pool/*", hours(2)}},
                           .immutable = {"*/blobs/sha256:*"},
                           .segment_size = 4096};
  const StoreRules deb = policy.rules_for("/pool/main/h/hostname.deb?x=1");
  EXPECT_EQ(deb.ttl, hours(1));
  EXPECT_FALSE(deb.immutable);
  EXPECT_EQ(deb.min_ttl, seconds(5));
  EXPECT_EQ(deb.default_ttl, seconds(7));
  EXPECT_EQ(deb.one_answer_size, 4096u);
  EXPECT_EQ(policy.rules_for("/pool/main/Release").ttl, hours(2));
  EXPECT_FALSE(policy.rules_for("/dists/Release").ttl);
  EXPECT_TRUE(policy.rules_for("/v2/x/blobs/sha256:ab").immutable);
  EXPECT_FALSE(policy.rules_for("/v2/x/manifests/latest").immutable);
}

TEST(CachePolicy, KeyLeavesOutTheIgnoredQueryParameters) {
  const CachePolicy policy{.ignored_query = {"X-Amz-*", "Signature", "Expires"}};
  EXPECT_EQ(policy.key_of("/b/o?X-Amz-Signature=ab&X-Amz-Date=1&versionId=3"), "/b/o?versionId=3");
  EXPECT_EQ(policy.key_of("/b/o?Expires=1&Signature=x"), "/b/o");
  EXPECT_EQ(policy.key_of("/b/o?a=1&&Signature=x&b"), "/b/o?a=1&b");
  EXPECT_EQ(policy.key_of("/b/o"), "/b/o");
  EXPECT_EQ(policy.key_of("/b/o?x-amz-signature=1"), "/b/o?x-amz-signature=1")
      << "names are case-sensitive, as signatures are";
  EXPECT_EQ(CachePolicy{}.key_of("/b/o?Signature=x"), "/b/o?Signature=x");
}

TEST(ObjectMeta, AnAnswerAlreadyStaleIsNotStoredWhateverTheMinTtl) {
  const StoreRules no_minimum{.min_ttl = seconds(0)};
  expect_refused(head_with(no_minimum, with("Cache-Control", "max-age=0")), "fresh for 0s");
  EXPECT_TRUE(head_with(no_minimum, with("Cache-Control", "max-age=1")).cacheable());
}

TEST(ObjectMeta, NoCacheIsStoredAndValidatedBeforeEveryUse) {
  const ObjectMeta meta = head(with("Cache-Control", "no-cache, max-age=3600"));
  EXPECT_TRUE(meta.cacheable()) << meta.not_cacheable_reason();
  EXPECT_FALSE(meta.fresh(kNow)) << "never used without validation";
  EXPECT_FALSE(meta.may_serve_stale());
  expect_refused(head(set(remove(without("ETag"), "Last-Modified"), "Cache-Control", "no-cache")),
                 "validator");
}

TEST(ObjectMeta, SMaxageForbidsServingStale) {
  EXPECT_FALSE(head(with("Cache-Control", "s-maxage=600")).may_serve_stale());
  EXPECT_TRUE(head(with("Cache-Control", "max-age=600")).may_serve_stale());
}

}  // namespace
}  // namespace casserole::upstream
