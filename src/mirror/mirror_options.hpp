// MirrorOptions: the knobs of the caching path, taken from the configuration.
#pragma once

#include <chrono>
#include <cstdint>

#include "upstream/cache_policy.hpp"

namespace casserole::mirror {

struct MirrorOptions {
  std::uint64_t segment_size = 2 * 1024 * 1024;
  upstream::CachePolicy cache_policy;
  unsigned read_ahead = 4;                       // segments kept in flight ahead of a reader
  std::chrono::milliseconds memory_wait{30000};  // longest wait for room in the memory tier
};

}  // namespace casserole::mirror
