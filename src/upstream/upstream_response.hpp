// UpstreamResponse: one response being read from an upstream connection, the final header first
// (interim 1xx answers before it are read past, and shown to a caller that asks for them) and then
// the body in pieces straight into the caller's buffers, so no body is held whole unless the
// caller asks for a small one that way (read_rest). When the body has been read to its end on a
// keep-alive exchange the connection returns to the pool; otherwise (an abandoned or broken
// exchange) it is closed. Read failures are UpstreamErrors.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "upstream/connection_pool.hpp"
#include "upstream/header_list.hpp"

namespace casserole::upstream {

class UpstreamResponse {
 public:
  using Parser = boost::beast::http::response_parser<boost::beast::http::buffer_body>;
  // Receives an interim answer's status and fields.
  using InterimSink =
      std::function<boost::asio::awaitable<void>(unsigned status, const HeaderList& fields)>;

  // head_request: the response to a HEAD has no body whatever its Content-Length says.
  UpstreamResponse(ConnectionPool& pool, std::unique_ptr<Connection> connection, bool head_request);
  ~UpstreamResponse();
  UpstreamResponse(const UpstreamResponse&) = delete;
  UpstreamResponse& operator=(const UpstreamResponse&) = delete;

  // Reads the final response's header. An interim (1xx) answer before it goes to `interim`
  // when one is given; a 101 nobody asked for, or too many interim answers, are protocol errors.
  boost::asio::awaitable<void> read_header(const InterimSink& interim = {});

  unsigned status() const { return parser_->get().result_int(); }
  const Parser::value_type& message() const { return parser_->get(); }
  HeaderList headers() const;
  std::optional<std::uint64_t> content_length() const {
    auto length = parser_->content_length();
    return length ? std::optional<std::uint64_t>(*length) : std::nullopt;
  }
  bool chunked() const { return parser_->chunked(); }
  bool done() const { return parser_->is_done(); }

  // Copies the next body bytes into `out`; 0 once the body is complete.
  boost::asio::awaitable<std::size_t> read_some(std::span<std::byte> out);
  // Appends the next body bytes to `text`; 0 once the body is complete.
  boost::asio::awaitable<std::size_t> append_some(std::string& text);
  // The rest of the body, for small answers read whole; nullopt once it passes `limit` bytes.
  boost::asio::awaitable<std::optional<std::string>> read_rest(std::size_t limit);

  Connection& connection() { return *connection_; }

 private:
  ConnectionPool& pool_;
  std::unique_ptr<Connection> connection_;
  void new_parser();

  bool head_request_;
  boost::beast::flat_buffer buffer_;
  std::optional<Parser> parser_;  // one per answer: each interim one, then the final one
};

}  // namespace casserole::upstream
