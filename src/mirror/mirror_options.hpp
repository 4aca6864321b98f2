// MirrorOptions: the knobs of the caching path, taken from the configuration.
#pragma once

#include <chrono>
#include <cstdint>

#include "upstream/cache_policy.hpp"

namespace casserole::mirror {

// Where a cold object's metadata comes from: a HEAD (which an object store may refuse), or the
// ranged GET of its first segment, which brings that segment's bytes in the same round trip.
enum class MetadataFrom { head, get };

struct MirrorOptions {
  std::uint64_t segment_size = 2 * 1024 * 1024;
  upstream::CachePolicy cache_policy;
  MetadataFrom metadata_from = MetadataFrom::head;
  unsigned read_ahead = 4;                       // segments kept in flight ahead of a reader
  std::chrono::milliseconds memory_wait{30000};  // longest wait for room in the memory tier
};

}  // namespace casserole::mirror
