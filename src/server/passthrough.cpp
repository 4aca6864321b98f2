#include "server/passthrough.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <vector>

#include "http/header_util.hpp"
#include "upstream/upstream_error.hpp"

namespace casserole::server {
namespace http = boost::beast::http;
namespace {

constexpr std::size_t kRelayChunk = 64 * 1024;

// The client's end-to-end fields; Host is the upstream's and Expect is answered here.
upstream::HeaderList forwarded_fields(const Exchange::Parser::value_type& request) {
  std::string_view connection;
  if (auto it = request.find(http::field::connection); it != request.end())
    connection = it->value();
  upstream::HeaderList out;
  for (const auto& field : request) {
    std::string_view name = field.name_string();
    if (casserole::http::is_hop_by_hop(name) || casserole::http::list_contains(connection, name) ||
        casserole::http::iequals(name, "Host") || casserole::http::iequals(name, "Expect")) {
      continue;
    }
    out.emplace_back(std::string(name), std::string(field.value()));
  }
  return out;
}

// Early Hints go on to the client as they come; other interim answers are the upstream's
// business (a 100 answers an Expect this node never sent).
upstream::UpstreamResponse::InterimSink relay_hints(Exchange& exchange) {
  return [&exchange](unsigned status,
                     const upstream::HeaderList& fields) -> boost::asio::awaitable<void> {
    if (status != 103) co_return;
    // Named, not a temporary in the co_await: GCC 12 frees such a temporary at a wrong address.
    const Exchange::Head hints{status, upstream::end_to_end(fields)};
    co_await exchange.write_interim(hints);
  };
}

bool response_has_body(unsigned status, bool head) {
  return !head && status >= 200 && status != 204 && status != 304;
}

[[noreturn]] void upstream_write_failed(const boost::beast::error_code& ec) {
  if (ec == boost::beast::error::timeout) {
    throw upstream::UpstreamError(upstream::UpstreamError::Kind::timeout,
                                  "sending the request body timed out");
  }
  throw upstream::UpstreamError(upstream::UpstreamError::Kind::unreachable,
                                "sending the request body: " + ec.message());
}

}  // namespace

boost::asio::awaitable<void> Passthrough::relay(Exchange& exchange) {
  upstream::HeaderList headers = forwarded_fields(exchange.request());
  std::unique_ptr<upstream::UpstreamResponse> response;
  ++exchange.trace().upstream_requests;
  if (exchange.has_body()) {
    try {
      response = co_await send_with_body(exchange, headers);
    } catch (const upstream::UpstreamError& error) {
      upstream_.pool().stats().failed(error);
      throw;
    }
  } else {
    response = co_await upstream_.fetch(exchange.request().method(), exchange.target(), headers, {},
                                        relay_hints(exchange));
  }
  upstream_.pool().stats().answered(upstream::UpstreamStats::Purpose::passthrough,
                                    response->status());
  co_await relay_response(exchange, *response);
}

boost::asio::awaitable<std::unique_ptr<upstream::UpstreamResponse>> Passthrough::send_with_body(
    Exchange& exchange, const upstream::HeaderList& headers) {
  auto& parser = exchange.parser();
  auto& pool = upstream_.pool();
  // Requests with bodies are not retried on another connection: the body is read only once.
  auto lease = co_await pool.acquire();
  auto& connection = *lease.connection;

  auto request = upstream_.request_for(exchange.request().method(), exchange.target(), headers);
  if (parser.chunked()) {
    request.chunked(true);
  } else {
    request.content_length(parser.content_length());
  }

  boost::beast::error_code ec;
  auto guarded = boost::asio::redirect_error(boost::asio::use_awaitable, ec);
  http::request_serializer<http::empty_body> serializer(request);
  connection.tcp().expires_after(pool.options().io_timeout);
  co_await http::async_write_header(connection, serializer, guarded);
  if (ec) upstream_write_failed(ec);

  if (casserole::http::iequals(exchange.field("Expect"), "100-continue")) {
    const Exchange::Head go_on{100};
    co_await exchange.write_interim(go_on);
  }

  co_await relay_request_body(exchange, connection, request.chunked());

  auto response =
      std::make_unique<upstream::UpstreamResponse>(pool, std::move(lease.connection), false);
  co_await response->read_header(relay_hints(exchange));
  co_return response;
}

boost::asio::awaitable<void> Passthrough::relay_request_body(Exchange& exchange,
                                                             upstream::Connection& connection,
                                                             bool chunked) {
  auto& parser = exchange.parser();
  boost::beast::error_code ec;
  auto guarded = boost::asio::redirect_error(boost::asio::use_awaitable, ec);
  // Beast reads as much as the buffer has room for: give it room for whole chunks.
  exchange.buffer().reserve(kRelayChunk);
  std::vector<std::byte> chunk(kRelayChunk);
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    boost::beast::error_code read_ec;
    co_await http::async_read_some(
        exchange.stream(), exchange.buffer(), parser,
        boost::asio::redirect_error(boost::asio::use_awaitable, read_ec));
    if (read_ec && read_ec != http::error::need_buffer) throw boost::system::system_error(read_ec);
    std::size_t n = chunk.size() - parser.get().body().size;
    if (n == 0) continue;
    auto piece = boost::asio::buffer(chunk.data(), n);
    connection.tcp().expires_after(upstream_.pool().options().io_timeout);
    if (chunked) {
      co_await boost::asio::async_write(connection, http::make_chunk(piece), guarded);
    } else {
      co_await boost::asio::async_write(connection, piece, guarded);
    }
    if (ec) upstream_write_failed(ec);
  }
  if (chunked) {
    co_await boost::asio::async_write(connection, http::make_chunk_last(), guarded);
    if (ec) upstream_write_failed(ec);
  }
}

boost::asio::awaitable<void> Passthrough::relay_response(Exchange& exchange,
                                                         upstream::UpstreamResponse& response) {
  const auto& message = response.message();
  Exchange::Head head{message.result_int(), upstream::end_to_end(response.headers()),
                      std::string(message.reason())};
  bool body = response_has_body(message.result_int(), exchange.head());
  // A body of unknown length is chunked for HTTP/1.1 clients; HTTP/1.0 ones read to the close.
  bool unknown_length = body && !response.content_length();
  bool chunked = unknown_length && exchange.request().version() >= 11;
  if (chunked) head.fields.emplace_back("Transfer-Encoding", "chunked");
  if (unknown_length && !chunked) exchange.close_after();
  exchange.sending_from(cache::Source::upstream);
  exchange.cache_status().fwd_status = message.result_int();
  co_await exchange.write_header(head);
  if (!body) co_return;

  std::vector<std::byte> chunk(kRelayChunk);
  for (;;) {
    std::size_t n = co_await response.read_some(chunk);
    if (n == 0) break;
    auto piece = std::span<const std::byte>(chunk.data(), n);
    if (chunked) {
      co_await exchange.write_chunk(piece);
    } else {
      co_await exchange.write_body(piece);
    }
  }
  if (chunked) co_await exchange.write_last_chunk();
}

}  // namespace casserole::server
