// Cached: what the memory tier can hold. Each value owns the Charge for its bytes, so its memory is
// accounted exactly as long as it exists, in the index or not.
#pragma once

#include <cstdint>

#include "cache/memory_budget.hpp"

namespace casserole::cache {

class Cached {
 public:
  explicit Cached(MemoryBudget::Charge charge) : charge_(std::move(charge)) {}
  virtual ~Cached() = default;
  std::uint64_t charged_bytes() const { return charge_.bytes(); }

 private:
  MemoryBudget::Charge charge_;
};

}  // namespace casserole::cache
