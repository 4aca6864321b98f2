#include "upstream/connection.hpp"

#include <sys/socket.h>

#include <boost/asio/bind_executor.hpp>
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

// Boost 1.81's any_completion_executor cannot be required to never block, which Beast's
// streams ask of a handler's executor; the connection's own executor can, and it is the one the
// callers run on.
void Connection::read_some(const BufferList<boost::asio::mutable_buffer>& buffers,
                           Handler handler) {
  auto bound = boost::asio::bind_executor(get_executor(), std::move(handler));
  std::visit([&](auto& s) { s.async_read_some(buffers, std::move(bound)); }, stream_);
}

void Connection::write_some(const BufferList<boost::asio::const_buffer>& buffers, Handler handler) {
  auto bound = boost::asio::bind_executor(get_executor(), std::move(handler));
  std::visit([&](auto& s) { s.async_write_some(buffers, std::move(bound)); }, stream_);
}

void Connection::close() {
  boost::beast::error_code ignored;
  tcp().socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  tcp().socket().close(ignored);
}

}  // namespace casserole::upstream
