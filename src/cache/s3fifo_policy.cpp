#include "cache/s3fifo_policy.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace casserole::cache {
namespace {

// The paper's 10%: small enough that a scan occupies little of the tier, large enough that a
// segment read again by a second client shortly after the first is still in S.
constexpr std::uint64_t kSmallShareDivisor = 10;

// Two bits of frequency, as in the paper: a key hit often survives at most three extra rounds of M.
constexpr std::uint8_t kMaxFreq = 3;

// One hit while in S earns M. libCacheSim defaults to two, tuned on traces of small objects where
// S holds many keys; here S holds few 2 MiB segments, a second reader within S's window is already
// strong evidence, and a key evicted from S with a single hit still reaches M through G.
constexpr std::uint8_t kHitsToPromote = 1;

}  // namespace

S3FifoPolicy::S3FifoPolicy(std::uint64_t capacity_bytes)
    : small_capacity_(capacity_bytes / kSmallShareDivisor) {}

void S3FifoPolicy::insert(const std::string& key, std::uint64_t size) {
  const auto ghost = ghost_index_.find(key);
  const bool seen_recently = ghost != ghost_index_.end();
  if (seen_recently) {
    ghost_.erase(ghost->second);
    ghost_index_.erase(ghost);
  }
  const Queue queue = seen_recently ? Queue::kMain : Queue::kSmall;
  auto [it, inserted] = entries_.try_emplace(key, Entry{size, 0, queue, {}});
  assert(inserted && "S3FifoPolicy::insert: key already tracked");
  Fifo& fifo = seen_recently ? main_ : small_;
  fifo.push_front(&*it);
  it->second.position = fifo.begin();
  bytes_ += size;
  if (!seen_recently) small_bytes_ += size;
}

void S3FifoPolicy::touch(const std::string& key) {
  const auto it = entries_.find(key);
  if (it == entries_.end()) return;
  std::uint8_t& freq = it->second.freq;
  freq = std::min<std::uint8_t>(freq + 1, kMaxFreq);
}

void S3FifoPolicy::erase(const std::string& key) {
  const auto it = entries_.find(key);
  if (it != entries_.end()) take(*it);
}

bool S3FifoPolicy::contains(const std::string& key) const {
  return entries_.contains(key);
}

std::optional<std::string> S3FifoPolicy::evict(
    const std::function<bool(const std::string&)>& pinned) {
  // As in the paper, S gives the victim once it holds its share. When the preferred queue has
  // nothing evictable the other one does: the caller needs the bytes more than the split matters.
  if (small_bytes_ >= small_capacity_ || main_.empty()) {
    if (auto victim = evict_small(pinned)) return victim;
    return evict_main(pinned);
  }
  if (auto victim = evict_main(pinned)) return victim;
  return evict_small(pinned);
}

std::optional<std::string> S3FifoPolicy::evict_small(
    const std::function<bool(const std::string&)>& pinned) {
  // Each key of S is inspected at most once: promoted keys leave S, pinned ones go behind the rest.
  for (std::size_t left = small_.size(); left > 0; --left) {
    Slot& slot = *small_.back();
    Entry& entry = slot.second;
    if (entry.freq >= kHitsToPromote) {
      promote(entry);
    } else if (pinned(slot.first)) {
      // Being read or filled is not popularity: a scan's segment stays in S rather than taking a
      // place in M, and gets one more round to be hit.
      small_.splice(small_.begin(), small_, entry.position);
    } else {
      remember(slot.first);
      return take(slot);
    }
  }
  return std::nullopt;
}

std::optional<std::string> S3FifoPolicy::evict_main(
    const std::function<bool(const std::string&)>& pinned) {
  // Every round of M lowers each unpinned key's freq, so a victim turns up within four rounds;
  // a full round of pinned keys in a row means every key is pinned.
  std::size_t pinned_in_a_row = 0;
  while (pinned_in_a_row < main_.size()) {
    Slot& slot = *main_.back();
    Entry& entry = slot.second;
    if (pinned(slot.first)) {
      ++pinned_in_a_row;
    } else if (entry.freq > 0) {
      pinned_in_a_row = 0;
      --entry.freq;
    } else {
      return take(slot);
    }
    main_.splice(main_.begin(), main_, entry.position);
  }
  return std::nullopt;
}

void S3FifoPolicy::promote(Entry& entry) {
  // Hits counted in S bought the move; M must see new ones for the key to stay.
  main_.splice(main_.begin(), small_, entry.position);
  entry.queue = Queue::kMain;
  entry.freq = 0;
  small_bytes_ -= entry.size;
}

void S3FifoPolicy::remember(const std::string& key) {
  const auto it = ghost_index_.try_emplace(key).first;
  ghost_.push_front(&it->first);
  it->second = ghost_.begin();
  while (ghost_.size() > entries_.size()) {
    ghost_index_.erase(ghost_index_.find(*ghost_.back()));
    ghost_.pop_back();
  }
}

std::string S3FifoPolicy::take(Slot& slot) {
  Entry& entry = slot.second;
  bytes_ -= entry.size;
  if (entry.queue == Queue::kSmall) {
    small_bytes_ -= entry.size;
    small_.erase(entry.position);
  } else {
    main_.erase(entry.position);
  }
  return std::move(entries_.extract(slot.first).key());
}

}  // namespace casserole::cache
