// One libFuzzer target for every parser in src/http. The first input byte picks the parser
// (byte % 6, so the corpus can use the digits '0'..'5'); the rest is the field value. Besides
// the sanitizers' checks, each case asserts the contract stated in the parser's header.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "first_byte_picks.hpp"
#include "http/cache_control.hpp"
#include "http/etag.hpp"
#include "http/freshness.hpp"
#include "http/header_util.hpp"
#include "http/http_date.hpp"
#include "http/range.hpp"

namespace {

using namespace casserole::http;
using std::chrono::system_clock;

void check(bool condition) {
  if (!condition) std::abort();
}

constexpr system_clock::time_point kNow{std::chrono::sys_days{std::chrono::year{2024} / 3 / 1}};

// The value's first byte picks a representation length: small ones reach every boundary, the
// last few probe the top of the 64-bit range.
void fuzz_range(std::string_view value) {
  if (value.empty()) return;
  const auto selector = static_cast<unsigned char>(value.front());
  value.remove_prefix(1);
  const std::uint64_t length = selector < 250 ? selector : UINT64_MAX - (255 - selector) - 1;
  const RangeSet set = resolve_ranges(value, length, 8);
  if (set.kind != RangeKind::partial) {
    check(set.ranges.empty());
    return;
  }
  check(!set.ranges.empty() && set.ranges.size() <= 8);
  for (std::size_t i = 0; i < set.ranges.size(); ++i) {
    const ByteRange& r = set.ranges[i];
    check(r.first <= r.last && r.last < length);
    for (std::size_t j = 0; j < i; ++j) {
      const ByteRange& other = set.ranges[j];
      check(other.last + 1 < r.first || r.last + 1 < other.first);
    }
    check(parse_content_range(format_content_range(r, length)) ==
          (ContentRange{r.first, r.last, length}));
  }
}

void fuzz_content_range(std::string_view value) {
  const std::optional<ContentRange> range = parse_content_range(value);
  if (!range) return;
  check(range->first <= range->last);
  if (range->complete_length) {
    check(range->last < *range->complete_length);
    check(parse_content_range(
              format_content_range({range->first, range->last}, *range->complete_length)) == range);
  }
}

void fuzz_cache_control(std::string_view value) {
  const CacheControl cc = parse_cache_control(value);
  for (const std::optional<std::int64_t>& delta :
       {cc.max_age, cc.s_maxage, cc.stale_while_revalidate, cc.stale_if_error}) {
    check(!delta || (*delta >= 0 && *delta <= kMaxDeltaSeconds));
  }
  for (std::string_view element : split_list(value)) {
    check(!element.empty() && trim_ows(element) == element);
    check(list_contains(value, element));
  }
}

void fuzz_http_date(std::string_view value) {
  const std::optional<system_clock::time_point> time = parse_http_date(value, kNow);
  if (!time) return;
  const system_clock::time_point whole_seconds = std::chrono::floor<std::chrono::seconds>(*time);
  check(parse_http_date(format_http_date(*time), kNow) == whole_seconds);
}

void fuzz_etag(std::string_view value) {
  const std::optional<EntityTag> tag = parse_entity_tag(value);
  if (tag) {
    check(parse_entity_tag(tag->to_string()) == tag);
    check(weak_compare(*tag, *tag) && strong_compare(*tag, *tag) == !tag->weak);
    check(if_none_match_hits(tag->to_string(), tag));
    check(if_match_passes(tag->to_string(), tag) == !tag->weak);
  }
  // The value as a list, against a tag of its own and against none.
  const std::optional<EntityTag> current = tag ? tag : EntityTag{false, "\"x\""};
  const bool hits = if_none_match_hits(value, current);
  const bool passes = if_match_passes(value, current);
  check(!if_none_match_hits(value, std::nullopt));
  check(!passes || hits || trim_ows(value).empty());
}

// Fields are separated by newlines: Cache-Control, Expires, Date, Last-Modified, Age.
void fuzz_freshness(std::string_view value) {
  FreshnessInput input;
  std::string_view* fields[] = {&input.cache_control, &input.expires, &input.date,
                                &input.last_modified, &input.age};
  for (std::string_view* field : fields) {
    const std::size_t newline = value.find('\n');
    *field = value.substr(0, newline);
    value = newline == std::string_view::npos ? std::string_view{} : value.substr(newline + 1);
  }
  input.request_time = kNow;
  input.response_time = kNow + std::chrono::seconds{value.size()};
  const Freshness f = compute_freshness(input);
  const std::chrono::seconds max{kMaxDeltaSeconds};
  check(f.lifetime >= std::chrono::seconds{0} && f.lifetime <= max);
  check(f.initial_age >= std::chrono::seconds{0} && f.initial_age <= max);
  check(f.basis != Freshness::Basis::heuristic || f.lifetime <= kMaxHeuristicLifetime);
  const std::chrono::seconds age =
      current_age(f, input.response_time, kNow + std::chrono::hours{1});
  check(age >= f.initial_age && age <= max);
}

}  // namespace

constexpr std::array<casserole::fuzz::Target, 6> kTargets{
    fuzz_range, fuzz_content_range, fuzz_cache_control, fuzz_http_date, fuzz_etag, fuzz_freshness};

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  casserole::fuzz::run_picked(data, size, kTargets);
  return 0;
}
