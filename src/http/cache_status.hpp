// CacheStatus: how the cache handled one response, written as the Cache-Status field (RFC 9211)
// and counted under a metrics label. Handlers fill it in as they learn; field_value() writes the
// parameters in a fixed order, e.g. `casserole; hit`, `casserole; fwd=uri-miss; stored`,
// `casserole; fwd=stale; fwd-status=304`, `casserole; fwd=bypass; detail=authorization`.
#pragma once

#include <string>
#include <string_view>

namespace casserole::http {

struct CacheStatus {
  // RFC 9211 §2.2's forward reasons; none: the response did not go forward.
  enum class Forward { none, bypass, method, uri_miss, vary_miss, miss, request, stale, partial };
  // What the metrics count responses by.
  enum class Kind { hit, miss, stale, pass, collapsed, none, count };

  bool hit = false;
  Forward fwd = Forward::none;
  unsigned fwd_status = 0;    // the upstream's status, when asked
  bool stored = false;        // the response is being stored in the cache
  bool collapsed = false;     // it waited for a fetch another request had started
  std::string_view detail{};  // a token, from a static string

  // `casserole; ...`.
  std::string field_value() const;
  // hit; collapsed for a forward it only waited on; stale for a revalidation; miss for a forward
  // that is stored; pass for one that is not; none when the cache was never consulted (a
  // refused request).
  Kind kind() const;
};

const char* to_string(CacheStatus::Kind kind);

}  // namespace casserole::http
