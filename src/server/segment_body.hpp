// Sending an acquired segment as (part of) a body: from memory each byte as soon as it has been
// committed, from disk with sendfile(2). The mirror sends segments to clients this way and the
// peering handler to peers, so a peer streams on what its owner is still receiving.
//
// A reader whose client takes bytes more slowly than they come holds its segment in memory while
// it waits, unless another request is waiting for memory: then it lets go (the segment becomes
// evictable) and acquires the segment again once its client is ready, from memory if it is still
// there, else from disk, a peer or the upstream. So no client, however slow, pins memory that
// others need; a client that takes nothing for Exchange::kWriteTimeout is cut.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>

#include "mirror/segment_source.hpp"
#include "server/exchange.hpp"

namespace casserole::server {

using Acquired = mirror::SegmentSource::Acquired;

// The segment's length, whichever tier holds it.
std::uint64_t length_of(const Acquired& acquired);

// Whether the byte at `offset` is there to send now. A file is verified already: all of it is.
// Callers ask before awaiting await_byte, since a coroutine call for a byte that is there
// showed in the profile of small responses.
bool has_byte(const Acquired& acquired, std::uint64_t offset);

// Returns once the byte at `offset` is there to send; rethrows why the segment failed if it
// never will be.
boost::asio::awaitable<void> await_byte(const Acquired& acquired, std::uint64_t offset);

// Acquires the segment being sent again, after its reader let go of it.
using Reacquire = std::function<boost::asio::awaitable<Acquired>()>;

// Writes bytes [from, to) of the segment to the exchange's body. `acquired` is what was sent
// last: the segment as it was given, or as it was acquired again.
boost::asio::awaitable<void> send_segment(Exchange& exchange, Acquired& acquired,
                                          std::uint64_t from, std::uint64_t to,
                                          cache::MemoryStore& memory, const Reacquire& reacquire);

}  // namespace casserole::server
