// Connection: one keep-alive connection to the upstream, plain TCP or TLS, usable as a Beast
// AsyncStream either way so the HTTP code above it is written once. Timeouts are set on the TCP
// layer (tcp()) before each operation.
#pragma once

#include <array>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
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

  // The AsyncStream operations. Buffers and handlers are erased before they reach the streams,
  // so TLS's composed operations are compiled once, in connection.cpp, instead of once per
  // caller's buffer and handler types: that was most of the compile time of every file above.
  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, Signature>(
        [this](auto handler, const BufferList<boost::asio::mutable_buffer>& list) {
          read_some(list, Handler(std::move(handler)));
        },
        token, BufferList<boost::asio::mutable_buffer>(buffers));
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, Signature>(
        [this](auto handler, const BufferList<boost::asio::const_buffer>& list) {
          write_some(list, Handler(std::move(handler)));
        },
        token, BufferList<boost::asio::const_buffer>(buffers));
  }

 private:
  using Signature = void(boost::beast::error_code, std::size_t);
  using Handler = boost::asio::any_completion_handler<Signature>;

  // The first buffers of a sequence, as one concrete type. A read or write of some bytes may
  // stop short of the sequence's end, so leaving the rest for the next call is within the
  // contract.
  template <class Buffer>
  class BufferList {
   public:
    static constexpr std::size_t kMax = 16;
    template <class Sequence>
    explicit BufferList(const Sequence& sequence) {
      auto end = boost::asio::buffer_sequence_end(sequence);
      for (auto it = boost::asio::buffer_sequence_begin(sequence); it != end && count_ < kMax;
           ++it) {
        items_[count_++] = Buffer(*it);
      }
    }
    const Buffer* begin() const { return items_.data(); }
    const Buffer* end() const { return items_.data() + count_; }

   private:
    std::array<Buffer, kMax> items_{};
    std::size_t count_ = 0;
  };

  void read_some(const BufferList<boost::asio::mutable_buffer>& buffers, Handler handler);
  void write_some(const BufferList<boost::asio::const_buffer>& buffers, Handler handler);

  std::variant<boost::beast::tcp_stream, TlsStream> stream_;
};

}  // namespace casserole::upstream
