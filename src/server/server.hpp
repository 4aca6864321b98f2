// Server: a listener. Accepts connections on its address and runs one session per connection:
// HTTP/1.1 requests one after another with keep-alive, each given to the Handler, failures turned
// into short error responses while the header is not out (400 malformed, 502 upstream
// unreachable, 504 upstream timeout, 503 out of memory), and every exchange written to the access
// log. The client listener and the peering listener are each one.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "server/access_log.hpp"
#include "server/exchange.hpp"
#include "server/handler.hpp"

namespace casserole::server {

class Server {
 public:
  Server(boost::asio::ip::tcp::acceptor acceptor, Handler& handler, const AccessLog& log)
      : acceptor_(std::move(acceptor)), handler_(handler), log_(log) {}

  // Accepts until stop().
  boost::asio::awaitable<void> run();
  void stop();

 private:
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);
  // The handler's answer, and its header if the handler left it held back (a body-less answer).
  boost::asio::awaitable<void> handle(Exchange& exchange);

  boost::asio::ip::tcp::acceptor acceptor_;
  Handler& handler_;
  const AccessLog& log_;
};

}  // namespace casserole::server
