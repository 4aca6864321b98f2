#pragma once

#include <chrono>
#include <string_view>

// How long a stored response stays fresh and how old it already is (RFC 9111 §4.2), computed the
// way a shared cache must.
namespace casserole::http {

// The response facts freshness depends on. An empty header value means the header is absent.
// request_time and response_time are our clock when the request was sent and the response
// arrived.
struct FreshnessInput {
  int status = 200;
  std::string_view cache_control;
  std::string_view expires;
  std::string_view date;
  std::string_view last_modified;
  std::string_view age;
  std::chrono::system_clock::time_point request_time;
  std::chrono::system_clock::time_point response_time;
};

// lifetime is the freshness lifetime; initial_age is corrected_initial_age (§4.2.3), the age the
// response already had on arrival. basis tells where lifetime came from: the response stated it
// (Cache-Control or Expires), it was guessed from Last-Modified, or nothing gave one.
// Both durations lie in [0, kMaxDeltaSeconds].
struct Freshness {
  enum class Basis { none, stated, heuristic };
  std::chrono::seconds lifetime{0};
  std::chrono::seconds initial_age{0};
  Basis basis = Basis::none;
};

// The heuristic lifetime is capped at one day: RFC 7234 required a warning beyond that, and a
// stale large object costs only a conditional HEAD to revalidate, keeping its segments.
inline constexpr std::chrono::seconds kMaxHeuristicLifetime = std::chrono::hours{24};

// Freshness lifetime, first rule that applies:
//  1. no-cache: 0 (every use must be revalidated);
//  2. s-maxage, then max-age;
//  3. Expires - Date, with Date defaulting to response_time; an unparsable Expires means
//     already expired (0);
//  4. for a heuristically cacheable status (RFC 9110 §15.1): 10% of Date - Last-Modified, at
//     most kMaxHeuristicLifetime;
//  5. otherwise 0.
// An unparsable Date counts as absent, and an invalid Age header is ignored (RFC 9111 §5.1).
Freshness compute_freshness(const FreshnessInput& input);

// current_age = corrected_initial_age + resident_time (§4.2.3). A clock that went backwards
// (now before response_time) counts as no resident time.
std::chrono::seconds current_age(const Freshness& freshness,
                                 std::chrono::system_clock::time_point response_time,
                                 std::chrono::system_clock::time_point now);

}  // namespace casserole::http
