#include "server/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <chrono>
#include <iostream>
#include <optional>

#include "mirror/mirror_error.hpp"
#include "server/request_gate.hpp"
#include "upstream/upstream_error.hpp"

namespace casserole::server {
namespace http = boost::beast::http;
namespace {

constexpr std::uint32_t kHeaderLimit = 32 * 1024;
// The first read of a request: a whole header, for nearly every client.
constexpr std::size_t kFirstRead = 4096;
// How long accepting waits after it failed for want of descriptors or memory, at first and at
// most: long enough that a node out of descriptors does not spin, short enough that clients
// are served soon after some come back.
constexpr auto kFirstBackoff = std::chrono::milliseconds(50);
constexpr auto kMaxBackoff = std::chrono::milliseconds(1000);

constexpr std::string_view kBusy =
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 45\r\n"
    "Cache-Control: no-store\r\n"
    "Retry-After: 1\r\n"
    "Connection: close\r\n"
    "\r\n"
    "503 Service Unavailable: too many connections\n";

std::string describe(const boost::asio::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  return ec ? std::string("-") : endpoint.address().to_string();
}

// A parse error deserves an answer; a connection that closes or idles out between requests is
// not worth one.
bool malformed(const boost::system::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

struct Failure {
  unsigned status;
  std::string why;     // for the client: what failed, from its side
  std::string detail;  // for the log
};

// The status a failure becomes while the header is not out.
Failure failure_of(const std::exception& error) {
  if (auto* upstream = dynamic_cast<const upstream::UpstreamError*>(&error)) {
    switch (upstream->kind()) {
      case upstream::UpstreamError::Kind::timeout:
        return {504, "the upstream did not answer in time", error.what()};
      case upstream::UpstreamError::Kind::unreachable:
        return {502, "the upstream could not be reached", error.what()};
      case upstream::UpstreamError::Kind::protocol:
        return {502, "the upstream's answer was unusable", error.what()};
    }
  }
  if (dynamic_cast<const mirror::MemoryExhausted*>(&error)) {
    return {503, "no memory is free for this object now; try again", error.what()};
  }
  if (dynamic_cast<const mirror::ObjectChanged*>(&error)) {
    return {502, "the upstream's object kept changing", error.what()};
  }
  return {500, "internal error", error.what()};
}

// A connection beyond the limit: told so, in one send that never waits, and closed.
void turn_away(boost::asio::ip::tcp::socket& socket) {
  boost::system::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(boost::asio::buffer(kBusy), ignored);
  socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds duration) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, duration);
  boost::system::error_code ignored;
  co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
}

}  // namespace

boost::asio::awaitable<void> Server::run() {
  auto backoff = kFirstBackoff;
  for (;;) {
    auto [ec, socket] =
        co_await acceptor_.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) {
      // EMFILE, ENFILE, ENOBUFS, ENOMEM: a connection waiting for a request gives its
      // descriptor back, or accepting waits; retrying at once would only spin.
      if (close_oldest_waiting()) continue;
      if (backoff == kFirstBackoff) {
        std::cerr << "casserole: accepting connections failed (" << ec.message()
                  << "); trying again with a back-off of up to " << kMaxBackoff.count() << " ms"
                  << std::endl;
      }
      co_await sleep_for(backoff);
      backoff = std::min(backoff * 2, kMaxBackoff);
      continue;
    }
    backoff = kFirstBackoff;
    if (connections_ >= limits_.max_connections && !close_oldest_waiting()) {
      ++stats_.turned_away;
      turn_away(socket);
      continue;
    }
    ++stats_.accepted;
    boost::system::error_code ignored;
    socket.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
    ++connections_;
    boost::asio::co_spawn(acceptor_.get_executor(), session(std::move(socket)),
                          boost::asio::detached);
  }
}

void Server::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

bool Server::close_oldest_waiting() {
  // One closed already (timed out, or closed here) leaves the list when its session resumes.
  for (boost::beast::tcp_stream* stream : waiting_) {
    if (!stream->socket().is_open()) continue;
    boost::system::error_code ignored;
    stream->socket().close(ignored);
    ++stats_.closed_for_room;
    return true;
  }
  return false;
}

boost::asio::awaitable<bool> Server::await_request(boost::beast::tcp_stream& stream,
                                                   boost::beast::flat_buffer& buffer,
                                                   std::chrono::steady_clock::time_point deadline) {
  if (buffer.size() > 0) co_return true;  // pipelined: the next request is here already
  struct Unlist {
    std::list<boost::beast::tcp_stream*>& list;
    std::list<boost::beast::tcp_stream*>::iterator position;
    ~Unlist() { list.erase(position); }
  } unlist{waiting_, waiting_.insert(waiting_.end(), &stream)};
  stream.expires_at(deadline);
  boost::system::error_code ec;
  const std::size_t n = co_await stream.async_read_some(
      buffer.prepare(kFirstRead), boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  if (ec) co_return false;
  buffer.commit(n);
  co_return true;
}

boost::asio::awaitable<void> Server::session(boost::asio::ip::tcp::socket socket) {
  const std::string client = describe(socket);
  const auto accepted = std::chrono::steady_clock::now();
  boost::beast::tcp_stream stream(std::move(socket));
  boost::beast::flat_buffer buffer;
  for (bool first = true;; first = false) {
    // A new connection has the header timeout for its whole first header; a kept-alive one
    // may idle before the next, which then has the header timeout from its first byte.
    const auto idle_deadline = first ? accepted + limits_.header_timeout
                                     : std::chrono::steady_clock::now() + limits_.keepalive_timeout;
    if (!co_await await_request(stream, buffer, idle_deadline)) break;
    const auto header_deadline =
        first ? idle_deadline : std::chrono::steady_clock::now() + limits_.header_timeout;

    Exchange::Parser parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(boost::none);
    boost::system::error_code ec;
    stream.expires_at(header_deadline);
    co_await http::async_read_header(stream, buffer, parser,
                                     boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    stream.expires_never();
    if (ec && !malformed(ec)) break;
    if (!co_await answer(stream, buffer, parser, ec, client)) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
  --connections_;
}

boost::asio::awaitable<bool> Server::answer(boost::beast::tcp_stream& stream,
                                            boost::beast::flat_buffer& buffer,
                                            Exchange::Parser& parser,
                                            const boost::system::error_code& parsed,
                                            const std::string& client) {
  const auto started = std::chrono::steady_clock::now();
  Admission admission;
  if (!parsed) admission = admit(parser.get());
  Exchange exchange(stream, buffer, parser, std::move(admission.target));
  std::optional<Failure> failure;
  try {
    if (parsed == http::error::header_limit) {
      exchange.close_after();
      co_await exchange.send_error(431, "the request's header fields are too large");
    } else if (parsed) {
      exchange.close_after();
      co_await exchange.send_error(400, "malformed request: " + parsed.message());
    } else if (admission.status != 0) {
      exchange.close_after();
      co_await exchange.send_error(admission.status, admission.why);
    } else {
      co_await handle(exchange);
    }
  } catch (const boost::system::system_error&) {
    exchange.close_after();  // the client went away or stalled: nobody to answer
  } catch (const std::exception& error) {
    exchange.close_after();
    failure = exchange.header_sent() ? Failure{0, {}, error.what()} : failure_of(error);
  }
  if (failure && failure->status != 0) {
    try {
      co_await exchange.send_error(failure->status, failure->why);
    } catch (const std::exception&) {
    }
  }
  std::string_view method =
      parsed ? std::string_view("-") : std::string_view(parser.get().method_string());
  std::string_view target = exchange.target();
  if (target.empty())
    target = parsed ? std::string_view("-") : std::string_view(parser.get().target());
  stats_.record(method, exchange);
  log_.record(client, method, target, exchange, std::chrono::steady_clock::now() - started,
              failure ? std::string_view(failure->detail) : std::string_view());
  co_return exchange.keep_alive() && parser.is_done();
}

boost::asio::awaitable<void> Server::handle(Exchange& exchange) {
  co_await handler_.handle(exchange);
  co_await exchange.finish();
}

}  // namespace casserole::server
