// UpstreamStats: what this node asked one upstream (the origin, a peer, etcd: each has its own
// ConnectionPool and so its own stats) and what came back, counted on the I/O thread by the
// pool's users. Plain integers and a fixed-bucket histogram: counting allocates nothing.
#pragma once

#include <array>
#include <cstdint>

#include "metrics/histogram.hpp"
#include "upstream/upstream_error.hpp"

namespace casserole::upstream {

struct UpstreamStats {
  // Why a request was sent: the metadata (a HEAD), a segment (a ranged GET, including the one
  // that probes for metadata), a client's request relayed as it is.
  enum class Purpose { head, segment, passthrough, count };
  static constexpr int kErrorKinds = 3;  // UpstreamError::Kind

  // Final answers by purpose and status class (index 1 to 5).
  std::array<std::array<std::uint64_t, 6>, static_cast<int>(Purpose::count)> answers{};
  std::array<std::uint64_t, kErrorKinds> errors{};
  std::uint64_t received_bytes = 0;  // body bytes
  // From a segment's ranged GET to its last byte.
  metrics::Histogram segment_seconds;

  void answered(Purpose purpose, unsigned status) {
    ++answers[static_cast<int>(purpose)][status >= 100 && status < 600 ? status / 100 : 5];
  }
  void failed(const UpstreamError& error) { ++errors[static_cast<int>(error.kind())]; }
};

const char* to_string(UpstreamStats::Purpose purpose);
const char* error_name(int kind);

}  // namespace casserole::upstream
