// Exchange: one client request and its response in progress on a client connection. Handlers read
// the request through it and write the response through it, which records what the access log
// reports (status, body bytes, where the bytes came from) and whether the header is out: before
// that an error becomes an error response, after it the connection can only be cut.
#pragma once

#include <array>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "cache/segment.hpp"
#include "http/cache_status.hpp"
#include "mirror/trace.hpp"
#include "upstream/header_list.hpp"

namespace casserole::server {

class Exchange {
 public:
  using Parser = boost::beast::http::request_parser<boost::beast::http::buffer_body>;
  // A client that takes no bytes for this long is gone; its buffers are needed by others.
  static constexpr std::chrono::seconds kWriteTimeout{60};

  // A response's status line and fields as a handler builds them. An empty reason is the
  // status's standard one.
  struct Head {
    unsigned status = 200;
    upstream::HeaderList fields{};
    std::string reason{};
  };

  // `target`: the request's target in normal form (http/request_target.hpp), which is what
  // handlers serve; the access log shows it too.
  Exchange(boost::beast::tcp_stream& stream, boost::beast::flat_buffer& buffer, Parser& parser,
           std::string target = {})
      : stream_(stream), buffer_(buffer), parser_(parser), target_(std::move(target)) {}

  const Parser::value_type& request() const { return parser_.get(); }
  Parser& parser() { return parser_; }
  boost::beast::tcp_stream& stream() { return stream_; }
  boost::beast::flat_buffer& buffer() { return buffer_; }
  const std::string& target() const { return target_; }
  bool head() const { return request().method() == boost::beast::http::verb::head; }
  bool has_body() const { return parser_.chunked() || parser_.content_length().value_or(0) > 0; }
  // A request field's value, empty when absent.
  std::string_view field(std::string_view name) const;

  // Adds Date, the source field and Connection handling to the header and holds it back until
  // the first body bytes, which go out with it in one write (a small response, one packet), or
  // until finish().
  void hold_header(const Head& head);
  // hold_header(), then finish(): the header goes out now.
  boost::asio::awaitable<void> write_header(const Head& head);
  // Sends a header still held back. The session calls it after each handler.
  boost::asio::awaitable<void> finish();
  boost::asio::awaitable<void> write_body(std::span<const std::byte> bytes);
  boost::asio::awaitable<void> write_body(std::string_view text);
  // For a body sent from buffers that others may need back while the client is slow: the held
  // header, then as much of `bytes` as the client takes without waiting. Returns the body bytes
  // sent.
  std::size_t write_body_now(std::span<const std::byte> bytes);
  // Waits until the client can take more bytes. Throws when `deadline` passes first, as a write
  // that timed out; returns false at once when interrupt_wait() is called meanwhile.
  boost::asio::awaitable<bool> wait_for_client(std::chrono::steady_clock::time_point deadline);
  void interrupt_wait();
  // Interim (1xx) response header, for HTTP/1.1 clients only; the final one follows.
  boost::asio::awaitable<void> write_interim(const Head& head);
  // Body bytes straight from a file with sendfile(2): no copy through user space. The file's
  // pages are expected in the page cache (a verified read just went through them).
  boost::asio::awaitable<void> send_file(int fd, std::uint64_t offset, std::uint64_t length);
  // For bodies of unknown length (chunked transfer coding, set in the header).
  boost::asio::awaitable<void> write_chunk(std::span<const std::byte> bytes);
  boost::asio::awaitable<void> write_last_chunk();
  // A complete short response saying why, with `fields` added; only while the header is not out.
  boost::asio::awaitable<void> send_error(unsigned status, std::string_view why,
                                          const upstream::HeaderList& fields = {});

  // Where the response's bytes come from, as the source field and the access log list them.
  void note_source(cache::Source source);
  // The body bytes written from now on come from `source` (noted too), or are the node's own
  // (error pages, multipart framing): what bytes_from() counts.
  void sending_from(cache::Source source);
  void sending_own();
  const std::string& source() const { return source_; }
  // Body bytes by source: cache::Source's order, then the node's own.
  static constexpr int kSources = 5;
  const std::array<std::uint64_t, kSources>& bytes_from() const { return bytes_from_; }
  // Written as the Cache-Status field; fill in before the header goes out.
  casserole::http::CacheStatus& cache_status() { return cache_status_; }
  const casserole::http::CacheStatus& cache_status() const { return cache_status_; }
  // What answering took, noted by the mirror and the passthrough (upstream requests made).
  mirror::Trace& trace() { return trace_; }
  const mirror::Trace& trace() const { return trace_; }
  // When the request's header had been read, and when the response's first bytes went out.
  std::chrono::steady_clock::time_point started() const { return started_; }
  std::optional<std::chrono::steady_clock::duration> time_to_first_byte() const;
  bool header_sent() const { return header_sent_; }
  unsigned status() const { return status_; }
  std::uint64_t body_bytes() const { return body_bytes_; }
  bool keep_alive() const { return keep_alive_; }
  void close_after() { keep_alive_ = false; }

 private:
  boost::asio::awaitable<void> write(auto buffers);
  std::size_t write_now(auto buffers);
  // The held header, if any, and `body_bytes` more of the body are out: counted, by source.
  void sent_header_and(std::uint64_t body_bytes);

  boost::beast::tcp_stream& stream_;
  boost::beast::flat_buffer& buffer_;
  Parser& parser_;
  std::string target_;
  bool header_sent_ = false;  // or held back: committed either way
  std::string held_header_;
  bool keep_alive_ = true;
  unsigned status_ = 0;
  std::uint64_t body_bytes_ = 0;
  std::string source_;
  int sending_ = kSources - 1;
  std::array<std::uint64_t, kSources> bytes_from_{};
  casserole::http::CacheStatus cache_status_;
  mirror::Trace trace_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point first_byte_{};
  bool interrupted_ = false;
};

}  // namespace casserole::server
