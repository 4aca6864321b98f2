#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

namespace casserole::cache {

// S3FifoPolicy orders the memory tier's entries for eviction with S3-FIFO (Yang et al., SOSP 2023),
// so that one client streaming a huge object once cannot wipe out the popular segments. New keys
// enter a small FIFO S (a tenth of the byte capacity) and leave it quickly unless hit while there;
// keys hit in S, or inserted again soon after leaving it (remembered by a ghost FIFO G of keys
// only), live in the main FIFO M, which gives each hit key another round like a 2-bit CLOCK.
//
// It only decides order: it owns no values, never evicts on its own, and the caller calls evict()
// while bytes() plus the incoming size exceeds the capacity. A hit is one touch(); the insertion is
// not a hit. Operations are O(1) except evict(), which visits each key at most four times. Not
// thread-safe: the memory tier serializes calls.
class S3FifoPolicy {
 public:
  explicit S3FifoPolicy(std::uint64_t capacity_bytes);

  // The queues point into the index, so a copy would point into the original.
  S3FifoPolicy(const S3FifoPolicy&) = delete;
  S3FifoPolicy& operator=(const S3FifoPolicy&) = delete;

  // Precondition: key is not tracked. A key still remembered by G goes straight to M.
  void insert(const std::string& key, std::uint64_t size);
  // Records a hit; unknown and ghost keys are ignored.
  void touch(const std::string& key);
  // Forgets a key its owner removed. It is not remembered by G: the owner dropped it on purpose.
  void erase(const std::string& key);
  bool contains(const std::string& key) const;

  // Chooses and removes the next victim, never a key for which pinned(key) is true (in use, or
  // still being filled). Returns nullopt when the policy is empty or every key is pinned.
  std::optional<std::string> evict(const std::function<bool(const std::string&)>& pinned);

  // Sum of the sizes of the tracked keys; G's keys are not counted.
  std::uint64_t bytes() const { return bytes_; }
  std::size_t entries() const { return entries_.size(); }

 private:
  enum class Queue : std::uint8_t { kSmall, kMain };
  struct Entry;
  using Slot = std::pair<const std::string, Entry>;
  // Front is the head (newest), back the tail (next to inspect). Slots are stable across rehashes.
  using Fifo = std::list<Slot*>;
  struct Entry {
    std::uint64_t size;
    std::uint8_t freq;
    Queue queue;
    Fifo::iterator position;
  };

  std::optional<std::string> evict_small(const std::function<bool(const std::string&)>& pinned);
  std::optional<std::string> evict_main(const std::function<bool(const std::string&)>& pinned);
  void promote(Entry& entry);
  void remember(const std::string& key);
  std::string take(Slot& slot);

  const std::uint64_t small_capacity_;
  std::uint64_t bytes_ = 0;
  std::uint64_t small_bytes_ = 0;
  std::unordered_map<std::string, Entry> entries_;
  Fifo small_;
  Fifo main_;

  // G holds at most as many keys as S and M track together: in steady state about as many as M
  // holds, and still useful while M is empty (a cold start, or a scan).
  std::unordered_map<std::string, std::list<const std::string*>::iterator> ghost_index_;
  std::list<const std::string*> ghost_;
};

}  // namespace casserole::cache
