// Histogram: durations counted in fixed buckets, for Prometheus. Observing is a search through a
// short array and three additions on the I/O thread: nothing allocated, nothing locked, so it
// can sit on the hot path.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

namespace casserole::metrics {

class Histogram {
 public:
  // Upper bounds in seconds, from a memory hit on loopback to a stalled upstream; above the last
  // is the +Inf bucket.
  static constexpr std::array<double, 15> kBounds{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};

  void observe(std::chrono::steady_clock::duration took);

  // Observations per bucket, not cumulative; the last is the +Inf bucket.
  const std::array<std::uint64_t, kBounds.size() + 1>& buckets() const { return buckets_; }
  std::uint64_t count() const { return count_; }
  double sum_seconds() const { return sum_; }

 private:
  std::array<std::uint64_t, kBounds.size() + 1> buckets_{};
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace casserole::metrics
