// Handler: what a listener does with each request its sessions read. A handler answers through the
// Exchange; an exception it lets escape becomes an error response while the header is not out
// (see Server), and cuts the connection after.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "server/exchange.hpp"

namespace casserole::server {

class Handler {
 public:
  virtual ~Handler() = default;
  virtual boost::asio::awaitable<void> handle(Exchange& exchange) = 0;
};

}  // namespace casserole::server
