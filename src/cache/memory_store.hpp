// MemoryStore: the memory tier's index. Maps keys to Cached values within one MemoryBudget and
// evicts in S3-FIFO order, so one scan through a huge object does not flush the popular segments.
// A value that someone else still holds (a reader streaming it, a writer filling it) is never
// chosen for eviction: evicting it would free no memory and, for a filling segment, would let a
// second fetch of the same bytes start. When nothing can be evicted, charge() waits for memory
// to be handed back, which is what keeps the bound under load, and asks the holders that wait on
// something slow (a client that is not reading) to let go, so that no one can pin it for long.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "cache/cached.hpp"
#include "cache/memory_budget.hpp"
#include "cache/s3fifo_policy.hpp"

namespace casserole::cache {

class MemoryStore {
 public:
  explicit MemoryStore(std::uint64_t limit_bytes);

  // A lookup that counts as a hit for eviction purposes.
  template <class T>
  std::shared_ptr<T> find(const std::string& key) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return nullptr;
    policy_.touch(key);
    return std::dynamic_pointer_cast<T>(it->second);
  }

  // A lookup that leaves the eviction order alone (reporting, planning).
  template <class T>
  std::shared_ptr<T> peek(const std::string& key) const {
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : std::dynamic_pointer_cast<T>(it->second);
  }

  // Room for `bytes`, evicting what can be evicted; nullopt when the rest is in use.
  std::optional<MemoryBudget::Charge> try_charge(std::uint64_t bytes);
  // Room for `bytes` that no entry holds now; evicts nothing.
  std::optional<MemoryBudget::Charge> try_charge_unused(std::uint64_t bytes);
  // Like try_charge, but waits for held memory to be handed back, up to the deadline.
  boost::asio::awaitable<std::optional<MemoryBudget::Charge>> charge(
      std::uint64_t bytes, std::chrono::steady_clock::time_point deadline);

  // A holder's standing offer to give its values back, for as long as this object lives: a
  // charge() that finds no room calls `let_go` once (the holder drops its shared_ptrs soon
  // after, making them evictable, and acquires them again when it goes on).
  class Offer {
   public:
    Offer(MemoryStore& store, std::function<void()> let_go);
    Offer(const Offer&) = delete;
    Offer& operator=(const Offer&) = delete;
    ~Offer();

   private:
    friend class MemoryStore;
    MemoryStore& store_;
    std::function<void()> let_go_;
    bool asked_ = false;
    std::list<Offer*>::iterator position_;
  };

  void insert(const std::string& key, std::shared_ptr<Cached> value);
  void erase(const std::string& key);

  std::uint64_t limit() const { return budget_->limit(); }
  std::uint64_t used() const { return budget_->used(); }
  std::size_t entries() const { return entries_.size(); }

  struct Stats {
    std::uint64_t evictions = 0;
    std::uint64_t waits = 0;          // charges that found no room and waited
    std::uint64_t wait_timeouts = 0;  // of those, the ones that got none in time
  };
  const Stats& stats() const { return stats_; }
  // Every entry, for reports; `visit(key, value)`.
  template <class Visit>
  void for_each(Visit visit) const {
    for (const auto& [key, value] : entries_) visit(key, *value);
  }

 private:
  bool make_room(std::uint64_t bytes);
  void ask_to_let_go();

  std::shared_ptr<MemoryBudget> budget_;
  S3FifoPolicy policy_;
  std::unordered_map<std::string, std::shared_ptr<Cached>> entries_;
  std::list<Offer*> offers_;
  Stats stats_;
};

}  // namespace casserole::cache
