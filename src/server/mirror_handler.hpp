// MirrorHandler: GET and HEAD for the mirror. Objects the upstream lets us cache are answered from
// segments (memory tier, else one ranged fetch each), planned by plan_response and streamed in
// order with a read-ahead window; everything else goes to Passthrough. The header waits for the
// first body byte, so a failure found then (the upstream is down, the object changed, ranges are
// ignored) still becomes a clean answer; after the header a failure cuts the connection rather
// than send bytes that are not the upstream's.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>

#include "mirror/mirror_options.hpp"
#include "mirror/object_directory.hpp"
#include "mirror/segment_source.hpp"
#include "server/exchange.hpp"
#include "server/passthrough.hpp"
#include "server/response_plan.hpp"

namespace casserole::server {

class MirrorHandler {
 public:
  MirrorHandler(mirror::ObjectDirectory& directory, mirror::SegmentSource& segments,
                Passthrough& passthrough, const mirror::MirrorOptions& options)
      : directory_(directory), segments_(segments), passthrough_(passthrough), options_(options) {}

  boost::asio::awaitable<void> serve(Exchange& exchange);

 private:
  // Fills in the Cache-Status of a request that failed before its header went out.
  static void note_failure(Exchange& exchange);
  // Whether every segment the plan sends is held here (only-if-cached).
  bool stored(const std::string& target, const mirror::MetaPtr& meta,
              const ResponsePlan& plan) const;
  boost::asio::awaitable<void> not_stored(Exchange& exchange);
  // `validation_asked`: the request's Cache-Control wanted the metadata confirmed upstream.
  boost::asio::awaitable<void> respond(Exchange& exchange, const mirror::MetaPtr& meta,
                                       ResponsePlan& plan, bool validation_asked);
  using Acquired = mirror::SegmentSource::Acquired;
  // Streams bytes [first, last] of the object; `first_segment`, when given, is the segment
  // holding `first`, already acquired.
  boost::asio::awaitable<void> stream_range(Exchange& exchange, const mirror::MetaPtr& meta,
                                            std::uint64_t first, std::uint64_t last,
                                            std::uint64_t last_wanted_segment,
                                            std::optional<Acquired> first_segment);

  mirror::ObjectDirectory& directory_;
  mirror::SegmentSource& segments_;
  Passthrough& passthrough_;
  const mirror::MirrorOptions& options_;
};

}  // namespace casserole::server
