// Connection: one keep-alive connection to the upstream, plain TCP or TLS, usable as a Beast
// AsyncStream either way so the HTTP code above it is written once. Timeouts are set on the TCP
// layer (tcp()) before each operation.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <variant>

namespace casserole::upstream {

class Connection {
 public:
  using executor_type = boost::beast::tcp_stream::executor_type;
  using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  explicit Connection(boost::beast::tcp_stream stream) : stream_(std::move(stream)) {}
  explicit Connection(TlsStream stream) : stream_(std::move(stream)) {}

  executor_type get_executor() { return tcp().get_executor(); }
  boost::beast::tcp_stream& tcp();

  // True while the peer has neither closed nor sent anything unasked: safe to send a request on.
  bool idle_and_open();
  void close();

  std::chrono::steady_clock::time_point idle_since{};

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& b) {
          std::visit([&](auto& s) { s.async_read_some(b, std::move(handler)); }, stream_);
        },
        token, buffers);
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& b) {
          std::visit([&](auto& s) { s.async_write_some(b, std::move(handler)); }, stream_);
        },
        token, buffers);
  }

 private:
  std::variant<boost::beast::tcp_stream, TlsStream> stream_;
};

}  // namespace casserole::upstream
