// Segment: one fixed-size slice of an object, filled once by a single writer and read by any
// number of readers while it fills. Readers see bytes as soon as they are committed, so a
// client's first byte never waits for the whole segment; all readers share this one buffer.
// A segment ends complete (every byte present, immutable from then on) or failed (the error, for
// readers to rethrow; bytes already committed stay valid for readers that were given them).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <exception>
#include <memory>
#include <span>

#include "async/signal.hpp"
#include "cache/cached.hpp"

namespace casserole::cache {

// Where a segment's bytes came from, reported to clients and in the access log.
enum class Source { memory, disk, peer, upstream };
const char* to_string(Source source);

class Segment : public Cached {
 public:
  enum class State { filling, complete, failed };

  // `filled_from`: where the bytes being filled in come from, for readers to report.
  Segment(std::size_t size, MemoryBudget::Charge charge, Source filled_from = Source::upstream);

  std::size_t size() const { return size_; }
  // memory once complete, else where the bytes are coming from.
  Source source() const { return state_ == State::complete ? Source::memory : filled_from_; }
  std::size_t filled() const { return filled_; }
  State state() const { return state_; }
  std::exception_ptr failure() const { return failure_; }
  const std::byte* data() const { return bytes_.get(); }

  // Writer side.
  std::span<std::byte> unfilled() { return {bytes_.get() + filled_, size_ - filled_}; }
  void commit(std::size_t n);
  void complete();
  void fail(std::exception_ptr error);

  // Reader side: returns once more than `offset` bytes are filled or the segment stopped filling.
  boost::asio::awaitable<void> wait_beyond(std::size_t offset);

 private:
  std::size_t size_;
  Source filled_from_;
  std::unique_ptr<std::byte[]> bytes_;
  std::size_t filled_ = 0;
  State state_ = State::filling;
  std::exception_ptr failure_;
  async::Signal progress_;
};

}  // namespace casserole::cache
