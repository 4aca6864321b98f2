#include "cache/memory_store.hpp"

#include <algorithm>
#include <utility>

namespace casserole::cache {

MemoryStore::MemoryStore(std::uint64_t limit_bytes)
    : budget_(std::make_shared<MemoryBudget>(limit_bytes)), policy_(limit_bytes) {}

bool MemoryStore::make_room(std::uint64_t bytes) {
  if (bytes > budget_->limit()) return false;
  auto held_elsewhere = [this](const std::string& key) {
    auto it = entries_.find(key);
    return it != entries_.end() && it->second.use_count() > 1;
  };
  while (!budget_->fits(bytes)) {
    std::optional<std::string> victim = policy_.evict(held_elsewhere);
    if (!victim) return false;
    entries_.erase(*victim);
    ++stats_.evictions;
  }
  return true;
}

std::optional<MemoryBudget::Charge> MemoryStore::try_charge(std::uint64_t bytes) {
  if (!make_room(bytes)) return std::nullopt;
  return budget_->take(bytes);
}

std::optional<MemoryBudget::Charge> MemoryStore::try_charge_unused(std::uint64_t bytes) {
  if (!budget_->fits(bytes)) return std::nullopt;
  return budget_->take(bytes);
}

boost::asio::awaitable<std::optional<MemoryBudget::Charge>> MemoryStore::charge(
    std::uint64_t bytes, std::chrono::steady_clock::time_point deadline) {
  if (bytes > budget_->limit()) co_return std::nullopt;
  for (bool waited = false;; waited = true) {
    if (make_room(bytes)) co_return budget_->take(bytes);
    if (std::chrono::steady_clock::now() >= deadline) {
      ++stats_.wait_timeouts;
      co_return std::nullopt;
    }
    if (!waited) ++stats_.waits;
    ask_to_let_go();
    // Memory handed back wakes us at once; a reader merely letting go of an indexed segment makes
    // it evictable without handing anything back, so also look again after a short while.
    co_await budget_->freed().wait_until(
        std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(20)));
  }
}

MemoryStore::Offer::Offer(MemoryStore& store, std::function<void()> let_go)
    : store_(store),
      let_go_(std::move(let_go)),
      position_(store.offers_.insert(store.offers_.end(), this)) {}

MemoryStore::Offer::~Offer() {
  store_.offers_.erase(position_);
}

void MemoryStore::ask_to_let_go() {
  // Stepped past before the call, in case the holder withdraws its offer at once.
  for (auto it = offers_.begin(); it != offers_.end();) {
    Offer* offer = *it++;
    if (!std::exchange(offer->asked_, true)) offer->let_go_();
  }
}

void MemoryStore::insert(const std::string& key, std::shared_ptr<Cached> value) {
  erase(key);
  policy_.insert(key, value->charged_bytes());
  entries_.emplace(key, std::move(value));
}

void MemoryStore::erase(const std::string& key) {
  if (entries_.erase(key) > 0) policy_.erase(key);
}

}  // namespace casserole::cache
