#include "cache/segment.hpp"

#include <cassert>

namespace casserole::cache {

const char* to_string(Source source) {
  switch (source) {
    case Source::memory:
      return "memory";
    case Source::disk:
      return "disk";
    case Source::peer:
      return "peer";
    case Source::upstream:
      return "upstream";
  }
  return "unknown";
}

Segment::Segment(std::size_t size, MemoryBudget::Charge charge, Source filled_from)
    // for_overwrite: zeroing 2 MiB that the upstream is about to overwrite is wasted bandwidth.
    : Cached(std::move(charge)),
      size_(size),
      filled_from_(filled_from),
      bytes_(std::make_unique_for_overwrite<std::byte[]>(size)) {}

void Segment::commit(std::size_t n) {
  assert(state_ == State::filling && n <= size_ - filled_);
  filled_ += n;
  progress_.notify_all();
}

void Segment::complete() {
  assert(filled_ == size_);
  state_ = State::complete;
  progress_.notify_all();
}

void Segment::fail(std::exception_ptr error) {
  if (state_ != State::filling) return;
  state_ = State::failed;
  failure_ = std::move(error);
  progress_.notify_all();
}

boost::asio::awaitable<void> Segment::wait_beyond(std::size_t offset) {
  while (filled_ <= offset && state_ == State::filling) co_await progress_.wait();
}

}  // namespace casserole::cache
