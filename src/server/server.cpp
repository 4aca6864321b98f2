#include "server/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <chrono>
#include <optional>

#include "mirror/mirror_error.hpp"
#include "upstream/upstream_error.hpp"

namespace casserole::server {
namespace http = boost::beast::http;
namespace {

// How long a kept-alive connection may sit between requests, and a request header may take.
constexpr auto kIdleTimeout = std::chrono::seconds(75);
constexpr std::uint32_t kHeaderLimit = 32 * 1024;

std::string describe(const boost::asio::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  return ec ? std::string("-") : endpoint.address().to_string();
}

// A parse error deserves a 400; a connection that closes or idles out between requests is not
// worth answering.
bool malformed(const boost::system::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

// The status a failure becomes while the header is not out, and what the client is told.
std::pair<unsigned, std::string> error_response(const std::exception& error) {
  if (auto* upstream = dynamic_cast<const upstream::UpstreamError*>(&error)) {
    bool timeout = upstream->kind() == upstream::UpstreamError::Kind::timeout;
    return {timeout ? 504 : 502, std::string("upstream: ") + error.what()};
  }
  if (dynamic_cast<const mirror::MemoryExhausted*>(&error)) return {503, error.what()};
  if (dynamic_cast<const mirror::ObjectChanged*>(&error)) {
    return {502, std::string("upstream object kept changing: ") + error.what()};
  }
  return {500, error.what()};
}

}  // namespace

boost::asio::awaitable<void> Server::run() {
  for (;;) {
    boost::system::error_code ec;
    auto socket = co_await acceptor_.async_accept(
        boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) continue;  // e.g. EMFILE: keep serving the connections we have
    socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
    boost::asio::co_spawn(acceptor_.get_executor(), session(std::move(socket)),
                          boost::asio::detached);
  }
}

void Server::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

boost::asio::awaitable<void> Server::session(boost::asio::ip::tcp::socket socket) {
  const std::string client = describe(socket);
  boost::beast::tcp_stream stream(std::move(socket));
  boost::beast::flat_buffer buffer;
  for (;;) {
    Exchange::Parser parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(boost::none);
    boost::system::error_code ec;
    stream.expires_after(kIdleTimeout);
    co_await http::async_read_header(stream, buffer, parser,
                                     boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    stream.expires_never();
    if (ec && !malformed(ec)) break;

    auto started = std::chrono::steady_clock::now();
    Exchange exchange(stream, buffer, parser);
    std::optional<std::pair<unsigned, std::string>> failure;
    try {
      if (ec) {
        exchange.close_after();
        co_await exchange.send_error(400, "malformed request: " + ec.message());
      } else {
        co_await handle(exchange);
      }
    } catch (const boost::system::system_error&) {
      exchange.close_after();  // the client went away or stalled: nobody to answer
    } catch (const std::exception& error) {
      exchange.close_after();
      if (!exchange.header_sent()) failure = error_response(error);
    }
    if (failure) {
      try {
        co_await exchange.send_error(failure->first, failure->second);
      } catch (const std::exception&) {
      }
    }
    log_.record(client, ec ? "-" : std::string_view(parser.get().method_string()),
                ec ? "-" : exchange.target(), exchange, std::chrono::steady_clock::now() - started);
    if (!exchange.keep_alive() || !parser.is_done()) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
}

boost::asio::awaitable<void> Server::handle(Exchange& exchange) {
  co_await handler_.handle(exchange);
  co_await exchange.finish();
}

}  // namespace casserole::server
