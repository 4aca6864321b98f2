#include "upstream/connection_pool.hpp"

#include <openssl/ssl.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>

#include "upstream/upstream_error.hpp"

namespace casserole::upstream {
namespace {

// Idle connections older than this are likely to be closed by the upstream soon; don't bet on them.
constexpr auto kMaxIdleAge = std::chrono::seconds(30);

std::optional<boost::asio::ssl::context> make_tls_context(const UpstreamUrl& url,
                                                          const UpstreamOptions& options) {
  if (!url.tls) return std::nullopt;
  std::optional<boost::asio::ssl::context> tls(std::in_place,
                                               boost::asio::ssl::context::tls_client);
  tls->set_default_verify_paths();
  if (!options.ca_file.empty()) tls->load_verify_file(options.ca_file);
  tls->set_verify_mode(options.insecure ? boost::asio::ssl::verify_none
                                        : boost::asio::ssl::verify_peer);
  return tls;
}

[[noreturn]] void fail(const boost::beast::error_code& ec, const std::string& during) {
  if (ec == boost::beast::error::timeout) {
    throw UpstreamError(UpstreamError::Kind::timeout, during + " timed out");
  }
  throw UpstreamError(UpstreamError::Kind::unreachable, during + " failed: " + ec.message());
}

}  // namespace

ConnectionPool::ConnectionPool(boost::asio::any_io_executor executor, UpstreamUrl url,
                               UpstreamOptions options)
    : executor_(std::move(executor)),
      url_(std::move(url)),
      options_(std::move(options)),
      tls_(make_tls_context(url_, options_)) {}

boost::asio::awaitable<ConnectionPool::Lease> ConnectionPool::acquire() {
  auto now = std::chrono::steady_clock::now();
  while (!idle_.empty()) {
    std::unique_ptr<Connection> connection = std::move(idle_.back());
    idle_.pop_back();
    if (now - connection->idle_since < kMaxIdleAge && connection->idle_and_open()) {
      co_return Lease{std::move(connection), true};
    }
    connection->close();
  }
  // Awaited apart from the braced initializer: GCC 12 miscompiles co_await inside one.
  auto connection = co_await connect();
  co_return Lease{std::move(connection), false};
}

void ConnectionPool::release(std::unique_ptr<Connection> connection) {
  if (options_.max_idle == 0) {
    connection->close();
    return;
  }
  if (idle_.size() >= options_.max_idle) {
    idle_.front()->close();
    idle_.pop_front();
  }
  connection->idle_since = std::chrono::steady_clock::now();
  idle_.push_back(std::move(connection));
}

boost::asio::awaitable<std::unique_ptr<Connection>> ConnectionPool::connect() {
  using boost::asio::redirect_error;
  using boost::asio::use_awaitable;
  boost::beast::error_code ec;
  boost::asio::ip::tcp::resolver resolver(executor_);
  auto endpoints =
      co_await resolver.async_resolve(url_.host, url_.port, redirect_error(use_awaitable, ec));
  if (ec) fail(ec, "resolving " + url_.host);

  boost::beast::tcp_stream tcp(executor_);
  tcp.expires_after(options_.connect_timeout);
  co_await tcp.async_connect(endpoints, redirect_error(use_awaitable, ec));
  if (ec) fail(ec, "connecting to " + url_.host_header);
  tcp.socket().set_option(boost::asio::ip::tcp::no_delay(true));
  if (!url_.tls) {
    tcp.expires_never();
    co_return std::make_unique<Connection>(std::move(tcp));
  }

  Connection::TlsStream tls(std::move(tcp), *tls_);
  boost::system::error_code not_ip;
  boost::asio::ip::make_address(url_.host, not_ip);
  if (not_ip && !SSL_set_tlsext_host_name(tls.native_handle(), url_.host.c_str())) {
    throw UpstreamError(UpstreamError::Kind::unreachable, "TLS: cannot set SNI host name");
  }
  if (!options_.insecure) {
    tls.set_verify_callback(boost::asio::ssl::host_name_verification(url_.host));
  }
  co_await tls.async_handshake(boost::asio::ssl::stream_base::client,
                               redirect_error(use_awaitable, ec));
  if (ec) fail(ec, "TLS handshake with " + url_.host_header);
  boost::beast::get_lowest_layer(tls).expires_never();
  co_return std::make_unique<Connection>(std::move(tls));
}

}  // namespace casserole::upstream
