#include "upstream/upstream_stats.hpp"

namespace casserole::upstream {

const char* to_string(UpstreamStats::Purpose purpose) {
  static constexpr const char* kNames[] = {"head", "segment", "passthrough"};
  return kNames[static_cast<int>(purpose)];
}

const char* error_name(int kind) {
  static constexpr const char* kNames[] = {"unreachable", "timeout", "protocol"};
  return kNames[kind];
}

}  // namespace casserole::upstream
