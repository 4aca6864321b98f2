#include "upstream/connection.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace casserole::upstream {

boost::beast::tcp_stream& Connection::tcp() {
  return std::visit(
      [](auto& s) -> boost::beast::tcp_stream& { return boost::beast::get_lowest_layer(s); },
      stream_);
}

bool Connection::idle_and_open() {
  auto& socket = tcp().socket();
  if (!socket.is_open()) return false;
  // A peek that would block means nothing arrived: no FIN, no stray bytes, no TLS close_notify.
  char byte;
  ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void Connection::close() {
  boost::beast::error_code ignored;
  tcp().socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  tcp().socket().close(ignored);
}

}  // namespace casserole::upstream
