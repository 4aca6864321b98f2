// ConnectionPool: connections to the one upstream, kept alive between requests. acquire() hands
// out an idle connection that is still open, or connects (DNS, TCP, TLS with certificate and host
// name verification) within the connect timeout; release() keeps a connection whose last exchange
// ended cleanly, up to max_idle of them. Failures are UpstreamErrors.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>

#include "upstream/connection.hpp"
#include "upstream/upstream_stats.hpp"
#include "upstream/upstream_url.hpp"

namespace casserole::upstream {

struct UpstreamOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds io_timeout{30000};  // longest silence while reading or writing
  std::size_t max_idle = 32;
  bool insecure = false;  // skip certificate verification: testing only
  std::string ca_file;    // extra trusted CAs, PEM
};

class ConnectionPool {
 public:
  ConnectionPool(boost::asio::any_io_executor executor, UpstreamUrl url, UpstreamOptions options);

  struct Lease {
    std::unique_ptr<Connection> connection;
    bool reused = false;  // a reused connection may have been closed by the peer meanwhile
  };
  boost::asio::awaitable<Lease> acquire();
  void release(std::unique_ptr<Connection> connection);

  const UpstreamUrl& url() const { return url_; }
  const UpstreamOptions& options() const { return options_; }
  // Counted by those who send requests through the pool.
  UpstreamStats& stats() { return stats_; }
  const UpstreamStats& stats() const { return stats_; }

 private:
  boost::asio::awaitable<std::unique_ptr<Connection>> connect();

  boost::asio::any_io_executor executor_;
  UpstreamUrl url_;
  UpstreamOptions options_;
  // Only for an https URL: loading the trust store costs every pool, peers' and etcd's too,
  // about a megabyte and a parse of every CA certificate.
  std::optional<boost::asio::ssl::context> tls_;
  std::deque<std::unique_ptr<Connection>> idle_;
  UpstreamStats stats_;
};

}  // namespace casserole::upstream
