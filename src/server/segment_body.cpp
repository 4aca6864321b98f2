#include "server/segment_body.hpp"

#include <algorithm>

namespace casserole::server {

std::uint64_t length_of(const mirror::SegmentSource::Acquired& acquired) {
  return acquired.file ? acquired.file->payload_size : acquired.segment->size();
}

bool has_byte(const mirror::SegmentSource::Acquired& acquired, std::uint64_t offset) {
  return !acquired.segment || acquired.segment->filled() > offset;
}

boost::asio::awaitable<void> await_byte(const mirror::SegmentSource::Acquired& acquired,
                                        std::uint64_t offset) {
  if (has_byte(acquired, offset)) co_return;
  co_await acquired.segment->wait_beyond(offset);
  if (acquired.segment->filled() <= offset) std::rethrow_exception(acquired.segment->failure());
}

boost::asio::awaitable<void> send_segment(Exchange& exchange,
                                          const mirror::SegmentSource::Acquired& acquired,
                                          std::uint64_t from, std::uint64_t to) {
  if (acquired.file) {
    co_return co_await exchange.send_file(acquired.file->file.get(),
                                          acquired.file->payload_offset + from, to - from);
  }
  cache::Segment& segment = *acquired.segment;
  std::uint64_t position = from;
  while (position < to) {
    if (!has_byte(acquired, position)) co_await await_byte(acquired, position);
    std::uint64_t end = std::min<std::uint64_t>(segment.filled(), to);
    co_await exchange.write_body({segment.data() + position, end - position});
    position = end;
  }
}

}  // namespace casserole::server
