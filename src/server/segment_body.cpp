#include "server/segment_body.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace casserole::server {
namespace {

// The client takes bytes more slowly than the segment has them: waits for it, and lets go of
// the segment if a request wants memory meanwhile.
boost::asio::awaitable<void> wait_for_client(Exchange& exchange, Acquired& acquired,
                                             cache::MemoryStore& memory) {
  const auto deadline = std::chrono::steady_clock::now() + Exchange::kWriteTimeout;
  bool ready = false;
  {
    cache::MemoryStore::Offer offer(memory, [&exchange] { exchange.interrupt_wait(); });
    ready = co_await exchange.wait_for_client(deadline);
  }
  if (ready) co_return;
  acquired = Acquired{};
  co_await exchange.wait_for_client(deadline);
}

}  // namespace

std::uint64_t length_of(const Acquired& acquired) {
  return acquired.file ? acquired.file->payload_size : acquired.segment->size();
}

bool has_byte(const Acquired& acquired, std::uint64_t offset) {
  return !acquired.segment || acquired.segment->filled() > offset;
}

boost::asio::awaitable<void> await_byte(const Acquired& acquired, std::uint64_t offset) {
  if (has_byte(acquired, offset)) co_return;
  co_await acquired.segment->wait_beyond(offset);
  if (acquired.segment->filled() <= offset) std::rethrow_exception(acquired.segment->failure());
}

boost::asio::awaitable<void> send_segment(Exchange& exchange, Acquired& acquired,
                                          std::uint64_t from, std::uint64_t to,
                                          cache::MemoryStore& memory, const Reacquire& reacquire) {
  std::uint64_t position = from;
  while (position < to) {
    if (!acquired.segment && !acquired.file) {
      acquired = co_await reacquire();
      if (!acquired.segment && !acquired.file) {
        throw std::runtime_error("the segment is no longer held here");
      }
      exchange.sending_from(acquired.source);
    }
    if (acquired.file) {
      co_return co_await exchange.send_file(
          acquired.file->file.get(), acquired.file->payload_offset + position, to - position);
    }
    if (!has_byte(acquired, position)) co_await await_byte(acquired, position);
    const std::uint64_t end = std::min<std::uint64_t>(acquired.segment->filled(), to);
    position += exchange.write_body_now({acquired.segment->data() + position, end - position});
    if (position < end) co_await wait_for_client(exchange, acquired, memory);
  }
}

}  // namespace casserole::server
