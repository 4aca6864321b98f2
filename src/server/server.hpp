// Server: a listener. Accepts connections on its address and runs one session per connection:
// HTTP/1.1 requests one after another with keep-alive, each admitted by request_gate and given
// to the Handler, failures turned into short error responses while the header is not out (400
// malformed, 431 header too large, 502 upstream unreachable, 504 upstream timeout, 503 out of
// memory; the detail goes to the access log), and every exchange written to the access log. The
// client listener and the peering listener are each one.
//
// It holds under abuse: at most `max_connections` sessions at once (beyond that a connection
// waiting for its first request byte is closed to make room, else the newcomer gets a 503); a
// request header must arrive within `header_timeout`, a kept-alive connection may idle for
// `keepalive_timeout`; an accept that fails for want of descriptors or memory is retried after a
// back-off, never at once.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <cstddef>
#include <list>

#include "server/access_log.hpp"
#include "server/exchange.hpp"
#include "server/handler.hpp"
#include "server/server_stats.hpp"

namespace casserole::server {

struct ServerLimits {
  std::size_t max_connections = 1024;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds keepalive_timeout{30000};
};

class Server {
 public:
  Server(boost::asio::ip::tcp::acceptor acceptor, Handler& handler, const AccessLog& log,
         ServerLimits limits = {})
      : acceptor_(std::move(acceptor)), handler_(handler), log_(log), limits_(limits) {}

  // Accepts until stop().
  boost::asio::awaitable<void> run();
  void stop();

  std::size_t connections() const { return connections_; }
  const ServerStats& stats() const { return stats_; }
  const ServerLimits& limits() const { return limits_; }
  // Listening: accepting has not been stopped.
  bool listening() const { return acceptor_.is_open(); }

 private:
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);
  // Reads the next request's first bytes; false when the connection is to end instead.
  boost::asio::awaitable<bool> await_request(boost::beast::tcp_stream& stream,
                                             boost::beast::flat_buffer& buffer,
                                             std::chrono::steady_clock::time_point deadline);
  // Answers one request whose header was read (or failed to parse: `parsed`); false when the
  // connection is to end after it.
  boost::asio::awaitable<bool> answer(boost::beast::tcp_stream& stream,
                                      boost::beast::flat_buffer& buffer, Exchange::Parser& parser,
                                      const boost::system::error_code& parsed,
                                      const std::string& client);
  // The handler's answer, and its header if the handler left it held back (a body-less answer).
  boost::asio::awaitable<void> handle(Exchange& exchange);
  // Closes the connection that has waited longest for a request; false when none waits.
  bool close_oldest_waiting();

  boost::asio::ip::tcp::acceptor acceptor_;
  Handler& handler_;
  const AccessLog& log_;
  ServerLimits limits_;
  std::size_t connections_ = 0;
  // Sessions waiting for a request's first byte, oldest first: what can go to make room.
  std::list<boost::beast::tcp_stream*> waiting_;
  ServerStats stats_;
};

}  // namespace casserole::server
