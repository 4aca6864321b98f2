// Ring: which members own a key, by rendezvous (highest random weight) hashing. Every node that
// sees the same members ranks them the same way for every key, and a member that joins or
// leaves moves only the keys it now wins or had won (about 1/N of them); the runner-up for a key
// is the member that owned it before the winner joined. Immutable once built.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace casserole::cluster {

class Ring {
 public:
  // Duplicates are ignored; the order does not matter.
  explicit Ring(std::vector<std::string> members);

  // Up to `count` members, most preferred first, skipping those `excluded` says no to.
  template <class Excluded>
  std::vector<std::string_view> ranked(std::string_view key, std::size_t count,
                                       Excluded excluded) const;
  std::vector<std::string_view> ranked(std::string_view key, std::size_t count) const {
    return ranked(key, count, [](std::string_view) { return false; });
  }

  const std::vector<std::string>& members() const { return members_; }

 private:
  std::uint64_t score(std::size_t member, std::string_view key) const;

  std::vector<std::string> members_;  // sorted
  std::vector<std::uint64_t> seeds_;  // one per member: the hash of its name
};

template <class Excluded>
std::vector<std::string_view> Ring::ranked(std::string_view key, std::size_t count,
                                           Excluded excluded) const {
  std::vector<std::pair<std::uint64_t, std::size_t>> scored;
  scored.reserve(members_.size());
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (!excluded(std::string_view(members_[i]))) scored.emplace_back(score(i, key), i);
  }
  count = std::min(count, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(count),
                    scored.end(), [](const auto& a, const auto& b) { return a > b; });
  std::vector<std::string_view> result;
  result.reserve(count);
  for (std::size_t i = 0; i < count; ++i) result.emplace_back(members_[scored[i].second]);
  return result;
}

}  // namespace casserole::cluster
