// ObjectMeta: what the upstream said about an object when asked with HEAD, and what follows from
// it under the operator's rules for its path (cache_policy.hpp): whether the object may be cached
// (SPEC: status 200, a known length, a freshness lifetime of at least min-ttl, a validator unless
// the object fits one answer or is declared immutable, no no-store, private, Set-Cookie or
// Vary: *), its version identity and the conditions that pin every ranged fetch to that version.
// Immutable once built.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "http/etag.hpp"
#include "http/freshness.hpp"
#include "upstream/cache_policy.hpp"
#include "upstream/header_list.hpp"

namespace casserole::upstream {

// Why a shared cache must not store an answer with these fields (no-store, private, Set-Cookie,
// Vary: *), or empty when nothing in them forbids it. The HEAD's answer and every segment's are
// held to it.
std::string storing_forbidden(const HeaderList& headers);

class ObjectMeta {
 public:
  using Clock = std::chrono::system_clock;

  static ObjectMeta from_head(unsigned status, HeaderList headers, Clock::time_point request_time,
                              Clock::time_point response_time, const StoreRules& rules);
  // The stored metadata refreshed by a 304 to a conditional HEAD (RFC 9111 §4.3.4): the 304's
  // fields replace the stored ones and freshness starts again.
  ObjectMeta revalidated(const HeaderList& not_modified, Clock::time_point request_time,
                         Clock::time_point response_time, const StoreRules& rules) const;

  // The same metadata, but not to be served from cache (the upstream proved it cannot be).
  ObjectMeta refused(std::string reason) const;

  unsigned status() const { return status_; }
  const HeaderList& headers() const { return headers_; }
  std::optional<std::uint64_t> length() const { return length_; }
  const std::optional<http::EntityTag>& etag() const { return etag_; }
  const std::string& last_modified() const { return last_modified_; }
  bool cacheable() const { return cacheable_; }
  const std::string& not_cacheable_reason() const { return reason_; }
  // When the answer was asked for and received: with status() and headers(), all from_head needs.
  Clock::time_point request_time() const { return request_time_; }
  Clock::time_point response_time() const { return response_time_; }

  std::chrono::seconds age(Clock::time_point now) const;
  std::chrono::seconds remaining_freshness(Clock::time_point now) const;
  bool fresh(Clock::time_point now) const { return remaining_freshness(now).count() > 0; }
  // Whether a stale copy may be served when the upstream cannot be reached: not when the object
  // says must-revalidate, proxy-revalidate, s-maxage or no-cache.
  bool may_serve_stale() const;
  // Field names listed in Vary: a request carrying any of them wants a variant we did not fetch.
  const std::vector<std::string>& vary_fields() const { return vary_fields_; }

  // Identity of this representation, part of every segment key: a new version never meets the
  // old version's segments. Without a validator every answer is a version of its own, unless the
  // path is immutable.
  const std::string& version() const { return version_; }
  // Conditions for a ranged GET: fail (412) rather than return bytes of another version.
  HeaderList fetch_conditions() const;
  // Conditions for a revalidating HEAD: 304 when the stored version is still current.
  HeaderList revalidation_conditions() const;
  std::uint64_t footprint() const;

 private:
  unsigned status_ = 0;
  HeaderList headers_;
  std::optional<std::uint64_t> length_;
  std::optional<http::EntityTag> etag_;
  std::string last_modified_;
  http::Freshness freshness_;
  Clock::time_point request_time_;
  Clock::time_point response_time_;
  bool cacheable_ = false;
  std::string reason_;
  // Derived once when built: every request for the object asks for them, and deriving them per
  // request showed in the profile of small responses.
  std::string version_;
  std::vector<std::string> vary_fields_;
};

}  // namespace casserole::upstream
