// Passthrough: a request the cache must not answer, relayed to the upstream and its response
// relayed back, both bodies streamed piece by piece with backpressure (each piece is written
// before the next is read), so nothing is held whole and the client's first byte leaves as soon
// as the upstream sends it. Status and end-to-end fields are kept; hop-by-hop fields are not.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "server/exchange.hpp"
#include "upstream/upstream_client.hpp"

namespace casserole::server {

class Passthrough {
 public:
  explicit Passthrough(upstream::UpstreamClient& upstream) : upstream_(upstream) {}

  // Upstream failures before the response header is out propagate as UpstreamErrors.
  boost::asio::awaitable<void> relay(Exchange& exchange);

 private:
  boost::asio::awaitable<std::unique_ptr<upstream::UpstreamResponse>> send_with_body(
      Exchange& exchange, const upstream::HeaderList& headers);
  boost::asio::awaitable<void> relay_request_body(Exchange& exchange,
                                                  upstream::Connection& connection, bool chunked);
  boost::asio::awaitable<void> relay_response(Exchange& exchange,
                                              upstream::UpstreamResponse& response);

  upstream::UpstreamClient& upstream_;
};

}  // namespace casserole::server
