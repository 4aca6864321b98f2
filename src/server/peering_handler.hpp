// PeeringHandler: the peering listener's requests, from the other nodes of the cluster (the
// protocol is in peering/peer_protocol.hpp). With a cluster secret, a request that does not carry
// it gets a 403 and nothing else. This node answers as the owner of what is asked: from memory or
// disk, else the previous owner's stored copy, else the one upstream fetch, never through
// another node's fetch, so a request travels one hop. A segment is streamed while it arrives.
// Failures before the header are told apart for the asker: 412 the version is gone upstream, 502
// or 504 with X-Casserole-Upstream-Failed this node's upstream request failed, anything else this
// node failed.
#pragma once

#include <string>

#include "cluster/peers.hpp"
#include "mirror/mirror_options.hpp"
#include "mirror/object_directory.hpp"
#include "mirror/segment_source.hpp"
#include "peering/peer_protocol.hpp"
#include "server/handler.hpp"

namespace casserole::server {

class PeeringHandler : public Handler {
 public:
  // `secret` empty: requests are not checked.
  PeeringHandler(mirror::ObjectDirectory& directory, mirror::SegmentSource& segments,
                 const cluster::Peers& peers, std::string secret,
                 const mirror::MirrorOptions& options)
      : directory_(directory),
        segments_(segments),
        peers_(peers),
        secret_(std::move(secret)),
        options_(options) {}

  boost::asio::awaitable<void> handle(Exchange& exchange) override;

 private:
  boost::asio::awaitable<void> answer(Exchange& exchange, const peering::PeerRequest& request);
  boost::asio::awaitable<void> send_meta(Exchange& exchange, const peering::PeerRequest& request);
  boost::asio::awaitable<void> send_segment(Exchange& exchange,
                                            const peering::PeerRequest& request);
  boost::asio::awaitable<void> send_members(Exchange& exchange);

  mirror::ObjectDirectory& directory_;
  mirror::SegmentSource& segments_;
  const cluster::Peers& peers_;
  std::string secret_;
  const mirror::MirrorOptions& options_;
};

}  // namespace casserole::server
