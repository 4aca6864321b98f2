// Server: the client side of Casserole. Accepts connections on the listening address and runs one
// session per connection: HTTP/1.1 requests one after another with keep-alive, each routed to the
// mirror or to passthrough, failures turned into short error responses while the header is not
// out (400 malformed, 502 upstream unreachable, 504 upstream timeout, 503 out of memory), and
// every exchange written to the access log.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <vector>

#include "server/access_log.hpp"
#include "server/exchange.hpp"
#include "server/mirror_handler.hpp"
#include "server/passthrough.hpp"

namespace casserole::server {

class Server {
 public:
  Server(boost::asio::ip::tcp::acceptor acceptor, MirrorHandler& mirror, Passthrough& passthrough,
         std::vector<std::string> passthrough_patterns, const AccessLog& log)
      : acceptor_(std::move(acceptor)),
        mirror_(mirror),
        passthrough_(passthrough),
        passthrough_patterns_(std::move(passthrough_patterns)),
        log_(log) {}

  // Accepts until stop().
  boost::asio::awaitable<void> run();
  void stop();

 private:
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);
  boost::asio::awaitable<void> handle(Exchange& exchange);

  boost::asio::ip::tcp::acceptor acceptor_;
  MirrorHandler& mirror_;
  Passthrough& passthrough_;
  std::vector<std::string> passthrough_patterns_;
  const AccessLog& log_;
};

}  // namespace casserole::server
