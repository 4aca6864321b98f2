#include "http/freshness.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include "http/cache_control.hpp"
#include "http/header_util.hpp"
#include "http/http_date.hpp"

namespace casserole::http {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

constexpr seconds kMaxSeconds{kMaxDeltaSeconds};

// Whole seconds from `from` to `to`, clamped to [0, 2^31]. Subtracting whole seconds cannot
// overflow, whatever the two instants are.
seconds clamped_seconds_between(system_clock::time_point from, system_clock::time_point to) {
  const seconds difference = std::chrono::floor<seconds>(to).time_since_epoch() -
                             std::chrono::floor<seconds>(from).time_since_epoch();
  return std::clamp(difference, seconds{0}, kMaxSeconds);
}

bool heuristically_cacheable(int status) {
  static constexpr std::array<int, 12> kStatuses = {200, 203, 204, 206, 300, 301,
                                                    308, 404, 405, 410, 414, 501};
  return std::find(kStatuses.begin(), kStatuses.end(), status) != kStatuses.end();
}

seconds freshness_lifetime(const FreshnessInput& input, system_clock::time_point date,
                           Freshness::Basis& basis) {
  const CacheControl cc = parse_cache_control(input.cache_control);
  basis = Freshness::Basis::stated;
  if (cc.no_cache) return seconds{0};
  if (cc.s_maxage) return seconds{*cc.s_maxage};
  if (cc.max_age) return seconds{*cc.max_age};
  if (!input.expires.empty()) {
    const std::optional<system_clock::time_point> expires = parse_http_date(input.expires);
    return expires ? clamped_seconds_between(date, *expires) : seconds{0};
  }
  basis = Freshness::Basis::none;
  if (!heuristically_cacheable(input.status)) return seconds{0};
  const std::optional<system_clock::time_point> last_modified =
      parse_http_date(input.last_modified);
  if (!last_modified) return seconds{0};
  basis = Freshness::Basis::heuristic;
  return std::min(clamped_seconds_between(*last_modified, date) / 10, kMaxHeuristicLifetime);
}

}  // namespace

Freshness compute_freshness(const FreshnessInput& input) {
  const system_clock::time_point date = parse_http_date(input.date).value_or(input.response_time);
  Freshness result;
  result.lifetime = freshness_lifetime(input, date, result.basis);

  const seconds apparent_age = clamped_seconds_between(date, input.response_time);
  const seconds response_delay = clamped_seconds_between(input.request_time, input.response_time);
  const seconds age_value{parse_delta_seconds(trim_ows(input.age)).value_or(0)};
  const seconds corrected_age_value = std::min(age_value + response_delay, kMaxSeconds);
  result.initial_age = std::max(apparent_age, corrected_age_value);
  return result;
}

seconds current_age(const Freshness& freshness, system_clock::time_point response_time,
                    system_clock::time_point now) {
  return std::min(freshness.initial_age + clamped_seconds_between(response_time, now), kMaxSeconds);
}

}  // namespace casserole::http
