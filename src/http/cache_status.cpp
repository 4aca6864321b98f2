#include "http/cache_status.hpp"

namespace casserole::http {
namespace {

const char* forward_name(CacheStatus::Forward fwd) {
  static constexpr const char* kNames[] = {"",     "bypass",  "method", "uri-miss", "vary-miss",
                                           "miss", "request", "stale",  "partial"};
  return kNames[static_cast<int>(fwd)];
}

}  // namespace

std::string CacheStatus::field_value() const {
  std::string value = "casserole";
  if (hit) value.append("; hit");
  if (fwd != Forward::none) value.append("; fwd=").append(forward_name(fwd));
  if (fwd_status != 0) value.append("; fwd-status=").append(std::to_string(fwd_status));
  if (stored) value.append("; stored");
  if (collapsed) value.append("; collapsed");
  if (!detail.empty()) value.append("; detail=").append(detail);
  return value;
}

CacheStatus::Kind CacheStatus::kind() const {
  if (hit) return Kind::hit;
  if (collapsed) return Kind::collapsed;
  switch (fwd) {
    case Forward::none:
      return Kind::none;
    case Forward::stale:
    case Forward::request:
      return Kind::stale;
    default:
      return stored ? Kind::miss : Kind::pass;
  }
}

const char* to_string(CacheStatus::Kind kind) {
  static constexpr const char* kNames[] = {"hit", "miss", "stale", "pass", "collapsed", "none"};
  return kNames[static_cast<int>(kind)];
}

}  // namespace casserole::http
