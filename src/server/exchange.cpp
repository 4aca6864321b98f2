#include "server/exchange.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>

#include "http/http_date.hpp"

namespace casserole::server {
namespace http = boost::beast::http;
namespace {

// A client that takes no bytes for this long is gone; its buffers are needed by others.
constexpr auto kWriteTimeout = std::chrono::seconds(60);
constexpr const char* kSourceField = "X-Casserole-Source";

}  // namespace

std::string_view Exchange::field(std::string_view name) const {
  auto it = request().find(name);
  return it == request().end() ? std::string_view{} : std::string_view(it->value());
}

boost::asio::awaitable<void> Exchange::write(auto buffers) {
  stream_.expires_after(kWriteTimeout);
  co_await boost::asio::async_write(stream_, buffers, boost::asio::use_awaitable);
  stream_.expires_never();
}

boost::asio::awaitable<void> Exchange::write_header(ResponseHeader& header) {
  header.version(11);
  header.set(http::field::date,
             casserole::http::format_http_date(std::chrono::system_clock::now()));
  if (!source_.empty()) header.set(kSourceField, source_);
  keep_alive_ = keep_alive_ && request().keep_alive();
  header.set(http::field::connection, keep_alive_ ? "keep-alive" : "close");
  status_ = header.result_int();
  http::response<http::empty_body> response(std::move(header));
  http::response_serializer<http::empty_body> serializer(response);
  header_sent_ = true;
  stream_.expires_after(kWriteTimeout);
  co_await http::async_write_header(stream_, serializer, boost::asio::use_awaitable);
  stream_.expires_never();
}

boost::asio::awaitable<void> Exchange::write_body(std::span<const std::byte> bytes) {
  co_await write(boost::asio::buffer(bytes.data(), bytes.size()));
  body_bytes_ += bytes.size();
}

boost::asio::awaitable<void> Exchange::write_body(std::string_view text) {
  co_await write_body(std::as_bytes(std::span(text.data(), text.size())));
}

boost::asio::awaitable<void> Exchange::write_chunk(std::span<const std::byte> bytes) {
  co_await write(http::make_chunk(boost::asio::buffer(bytes.data(), bytes.size())));
  body_bytes_ += bytes.size();
}

boost::asio::awaitable<void> Exchange::write_last_chunk() {
  co_await write(http::make_chunk_last());
}

boost::asio::awaitable<void> Exchange::send_error(unsigned status, std::string_view why) {
  ResponseHeader header;
  header.result(status);
  std::string body =
      std::to_string(status) + " " + std::string(header.reason()) + ": " + std::string(why) + "\n";
  header.set(http::field::content_type, "text/plain; charset=utf-8");
  header.set(http::field::content_length, std::to_string(body.size()));
  header.set(http::field::cache_control, "no-store");
  co_await write_header(header);
  if (!head()) co_await write_body(body);
}

void Exchange::note_source(cache::Source source) {
  std::string name = cache::to_string(source);
  if (source_.find(name) != std::string::npos) return;
  source_ += source_.empty() ? name : "+" + name;
}

}  // namespace casserole::server
