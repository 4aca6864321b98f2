// Sending an acquired segment as (part of) a body: from memory each byte as soon as it has been
// committed, from disk with sendfile(2). The mirror sends segments to clients this way and the
// peering handler to peers, so a peer streams on what its owner is still receiving.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>

#include "mirror/segment_source.hpp"
#include "server/exchange.hpp"

namespace casserole::server {

// The segment's length, whichever tier holds it.
std::uint64_t length_of(const mirror::SegmentSource::Acquired& acquired);

// Whether the byte at `offset` is there to send now. A file is verified already: all of it is.
// Callers ask before awaiting await_byte, since a coroutine call for a byte that is there
// showed in the profile of small responses.
bool has_byte(const mirror::SegmentSource::Acquired& acquired, std::uint64_t offset);

// Returns once the byte at `offset` is there to send; rethrows why the segment failed if it
// never will be.
boost::asio::awaitable<void> await_byte(const mirror::SegmentSource::Acquired& acquired,
                                        std::uint64_t offset);

// Writes bytes [from, to) of the segment to the exchange's body.
boost::asio::awaitable<void> send_segment(Exchange& exchange,
                                          const mirror::SegmentSource::Acquired& acquired,
                                          std::uint64_t from, std::uint64_t to);

}  // namespace casserole::server
