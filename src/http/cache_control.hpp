#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The Cache-Control response directives a shared cache acts on (RFC 9111 §5.2.2).
namespace casserole::http {

// Each flag is set when its directive appears. The qualified forms no-cache="field" and
// private="field" set no flag: they withhold only the fields they name (RFC 9111 §5.2.2.4 and
// §5.2.2.7), which a shared cache then never stores. Delta-seconds values lie in
// [0, kMaxDeltaSeconds].
struct CacheControl {
  bool no_store = false;
  bool no_cache = false;
  bool is_private = false;
  bool is_public = false;
  bool must_revalidate = false;
  bool proxy_revalidate = false;
  bool no_transform = false;
  bool immutable = false;
  std::optional<std::int64_t> max_age;
  std::optional<std::int64_t> s_maxage;
  std::optional<std::int64_t> stale_while_revalidate;
  std::optional<std::int64_t> stale_if_error;
  std::vector<std::string> withheld_fields;  // as the directives name them
};

// Parses a Cache-Control value; callers join several header lines with ", ". Directive names are
// case-insensitive, arguments are a token or a quoted string, whitespace around directives and
// around "=" is tolerated, and unknown directives are ignored. Whenever the value is unclear the
// result errs towards serving less stale content:
//  - max-age and s-maxage with a missing or invalid argument are 0 (RFC 9111 §4.2.1: stale);
//  - stale-while-revalidate and stale-if-error with an invalid argument are ignored;
//  - a directive given more than once keeps its smallest value.
CacheControl parse_cache_control(std::string_view value);

// The request directives a cache acts on (RFC 9111 §5.2.1), from Cache-Control and, when that
// is absent, Pragma (§5.4).
struct RequestCacheControl {
  bool no_cache = false;  // a stored response must be validated first
  std::optional<std::int64_t> max_age;
  bool only_if_cached = false;  // stored, or 504
  // The client will not take a stored response on trust: no-cache, or max-age=0.
  bool wants_validation() const { return no_cache || max_age == 0; }
};
RequestCacheControl parse_request_cache_control(std::string_view cache_control,
                                                std::string_view pragma);

}  // namespace casserole::http
