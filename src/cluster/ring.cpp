#include "cluster/ring.hpp"

#include <algorithm>

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

namespace casserole::cluster {

Ring::Ring(std::vector<std::string> members) : members_(std::move(members)) {
  std::sort(members_.begin(), members_.end());
  members_.erase(std::unique(members_.begin(), members_.end()), members_.end());
  seeds_.reserve(members_.size());
  for (const auto& member : members_) seeds_.push_back(XXH3_64bits(member.data(), member.size()));
}

std::uint64_t Ring::score(std::size_t member, std::string_view key) const {
  return XXH3_64bits_withSeed(key.data(), key.size(), seeds_[member]);
}

}  // namespace casserole::cluster
