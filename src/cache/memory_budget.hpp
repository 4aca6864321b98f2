// MemoryBudget: the byte count behind --max-memory-usage. Every buffer the memory tier hands out
// holds a Charge for its bytes from allocation until its last reader lets go, so buffers still in
// flight or still being read count against the bound even after the index has evicted them.
#pragma once

#include <cstdint>
#include <memory>

#include "async/signal.hpp"

namespace casserole::cache {

class MemoryBudget : public std::enable_shared_from_this<MemoryBudget> {
 public:
  // Bytes held for one buffer; returning them wakes coroutines waiting for room.
  class Charge {
   public:
    Charge() = default;
    Charge(std::shared_ptr<MemoryBudget> budget, std::uint64_t bytes)
        : budget_(std::move(budget)), bytes_(bytes) {}
    Charge(Charge&&) noexcept = default;
    Charge& operator=(Charge&&) noexcept = default;
    ~Charge() {
      if (budget_) budget_->give_back(bytes_);
    }
    std::uint64_t bytes() const { return bytes_; }

   private:
    std::shared_ptr<MemoryBudget> budget_;
    std::uint64_t bytes_ = 0;
  };

  explicit MemoryBudget(std::uint64_t limit) : limit_(limit) {}

  std::uint64_t limit() const { return limit_; }
  std::uint64_t used() const { return used_; }
  bool fits(std::uint64_t bytes) const { return bytes <= limit_ && used_ <= limit_ - bytes; }

  // Takes bytes whether or not they fit; callers make room first (see MemoryStore).
  Charge take(std::uint64_t bytes) {
    used_ += bytes;
    return Charge(shared_from_this(), bytes);
  }

  async::Signal& freed() { return freed_; }

 private:
  void give_back(std::uint64_t bytes) {
    used_ -= bytes;
    freed_.notify_all();
  }

  std::uint64_t limit_;
  std::uint64_t used_ = 0;
  async::Signal freed_;
};

}  // namespace casserole::cache
