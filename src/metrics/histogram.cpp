#include "metrics/histogram.hpp"

#include <algorithm>

namespace casserole::metrics {

void Histogram::observe(std::chrono::steady_clock::duration took) {
  const double seconds = std::chrono::duration<double>(took).count();
  const auto bucket = std::lower_bound(kBounds.begin(), kBounds.end(), seconds) - kBounds.begin();
  ++buckets_[static_cast<std::size_t>(bucket)];
  ++count_;
  sum_ += seconds;
}

}  // namespace casserole::metrics
