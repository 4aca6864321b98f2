#include "cluster/etcd_client.hpp"

#include <boost/beast/http/verb.hpp>
#include <optional>

#include "upstream/connection_pool.hpp"
#include "upstream/upstream_client.hpp"
#include "upstream/upstream_error.hpp"
#include "upstream/upstream_response.hpp"
#include "upstream/upstream_url.hpp"

namespace casserole::cluster {
namespace {

// Far above any answer about a few hundred nodes; a bound so that a confused endpoint cannot
// make us buffer without end.
constexpr std::size_t kMaxAnswer = 4 * 1024 * 1024;
// Calls overlap only a little (a keep-alive with a listing, a revocation): a few connections.
constexpr std::size_t kIdleCalls = 4;

const upstream::HeaderList& json_headers() {
  static const upstream::HeaderList headers{{"Content-Type", "application/json"}};
  return headers;
}

upstream::UpstreamOptions pool_options(std::chrono::milliseconds io_timeout, std::size_t max_idle) {
  return upstream::UpstreamOptions{.connect_timeout = EtcdClient::kConnectTimeout,
                                   .io_timeout = io_timeout,
                                   .max_idle = max_idle,
                                   .insecure = false,
                                   .ca_file = {}};
}

// Out of the coroutines: GCC 12 misreads string concatenation in a coroutine frame
// (-Warray-bounds).
std::string failure_of(const std::string& endpoint, const char* what) {
  std::string text = endpoint;
  text += ": ";
  text += what;
  return text;
}

std::string none_answered(const std::vector<std::string>& failures) {
  std::string text = "no etcd endpoint answered (";
  for (std::size_t i = 0; i < failures.size(); ++i) {
    if (i > 0) text += "; ";
    text += failures[i];
  }
  text += ")";
  return text;
}

std::string stream_broke(const char* what) {
  return std::string("the etcd watch stream broke: ") + what;
}

boost::asio::awaitable<std::string> post(upstream::ConnectionPool& pool, std::string_view path,
                                         std::string_view body) {
  upstream::UpstreamClient client(pool);
  auto response = co_await client.fetch(boost::beast::http::verb::post, path, json_headers(), body);
  std::optional<std::string> answer = co_await response->read_rest(kMaxAnswer);
  if (!answer) throw etcd::Error(etcd::Error::kMalformed, "an etcd answer too large");
  co_return std::move(*answer);
}

}  // namespace

struct EtcdClient::Endpoint {
  Endpoint(const boost::asio::any_io_executor& executor, const std::string& url)
      : url(url),
        calls(executor, upstream::UpstreamUrl::parse(url), pool_options(kReplyTimeout, kIdleCalls)),
        // A watch's connection is never reused: an abandoned or broken stream cannot be.
        watches(executor, upstream::UpstreamUrl::parse(url), pool_options(kWatchSilence, 0)) {}

  std::string url;
  upstream::ConnectionPool calls;
  upstream::ConnectionPool watches;
};

EtcdClient::EtcdClient(boost::asio::any_io_executor executor,
                       const std::vector<std::string>& endpoints) {
  if (endpoints.empty()) throw std::invalid_argument("no etcd endpoint");
  for (const auto& url : endpoints) endpoints_.push_back(std::make_unique<Endpoint>(executor, url));
}

EtcdClient::~EtcdClient() = default;

const std::string& EtcdClient::endpoint() const {
  return endpoints_[current_]->url;
}

void EtcdClient::failed(std::size_t endpoint) {
  // Abandoning removes nothing from the list: each watch deregisters when it is destroyed.
  for (EtcdWatch* watch : watches_) {
    if (watch->endpoint_ == endpoint) watch->abandon();
  }
}

void EtcdClient::abandon_watches() {
  for (EtcdWatch* watch : watches_) watch->abandon();
}

template <class Attempt>
std::invoke_result_t<Attempt&, EtcdClient::Endpoint&, std::size_t> EtcdClient::first_answer(
    Attempt attempt) {
  std::vector<std::string> failures;
  const std::size_t first = current_;
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    const std::size_t index = (first + i) % endpoints_.size();
    Endpoint& endpoint = *endpoints_[index];
    try {
      auto result = co_await attempt(endpoint, index);
      current_ = index;
      co_return result;
    } catch (const EtcdWatchAbandoned&) {
      throw;  // on purpose: not the endpoint's failure
    } catch (const EtcdUnavailable& error) {
      failures.push_back(failure_of(endpoint.url, error.what()));  // a watch broke as it opened
    } catch (const upstream::UpstreamError& error) {
      failures.push_back(failure_of(endpoint.url, error.what()));
    } catch (const etcd::Error& error) {
      if (!error.endpoint_failed()) {
        current_ = index;  // it answered
        throw;
      }
      failures.push_back(failure_of(endpoint.url, error.what()));
    }
    failed(index);
  }
  throw EtcdUnavailable(none_answered(failures));
}

template <class Parse>
boost::asio::awaitable<std::invoke_result_t<Parse&, std::string_view>> EtcdClient::call(
    std::string_view path, std::string body, Parse parse) {
  co_return co_await first_answer(
      [&](Endpoint& endpoint,
          std::size_t) -> boost::asio::awaitable<std::invoke_result_t<Parse&, std::string_view>> {
        std::string answer = co_await post(endpoint.calls, path, body);
        co_return parse(answer);
      });
}

boost::asio::awaitable<etcd::Lease> EtcdClient::grant_lease(std::int64_t ttl_seconds) {
  co_return co_await call("/v3/lease/grant", etcd::grant_request(ttl_seconds), etcd::parse_grant);
}

boost::asio::awaitable<std::int64_t> EtcdClient::keep_alive(std::int64_t lease) {
  co_return co_await call("/v3/lease/keepalive", etcd::keep_alive_request(lease),
                          etcd::parse_keep_alive);
}

boost::asio::awaitable<void> EtcdClient::revoke_lease(std::int64_t lease) {
  co_await call("/v3/lease/revoke", etcd::revoke_request(lease), etcd::parse_header_revision);
}

boost::asio::awaitable<void> EtcdClient::put(std::string_view key, std::string_view value,
                                             std::int64_t lease) {
  co_await call("/v3/kv/put", etcd::put_request(key, value, lease), etcd::parse_header_revision);
}

boost::asio::awaitable<etcd::Range> EtcdClient::range_prefix(std::string_view prefix) {
  co_return co_await call("/v3/kv/range", etcd::range_prefix_request(prefix), etcd::parse_range);
}

boost::asio::awaitable<std::unique_ptr<EtcdWatch>> EtcdClient::watch_prefix(
    std::string_view prefix, std::int64_t start_revision) {
  const std::string body = etcd::watch_prefix_request(prefix, start_revision);
  co_return co_await first_answer(
      [&](Endpoint& endpoint,
          std::size_t index) -> boost::asio::awaitable<std::unique_ptr<EtcdWatch>> {
        std::unique_ptr<EtcdWatch> watch(new EtcdWatch(*this, index));
        co_await watch->open(endpoint.watches, body);
        co_return watch;
      });
}

EtcdWatch::EtcdWatch(EtcdClient& client, std::size_t endpoint)
    : client_(client),
      endpoint_(endpoint),
      registration_(client.watches_.insert(client.watches_.end(), this)) {}

EtcdWatch::~EtcdWatch() {
  client_.watches_.erase(registration_);
}

void EtcdWatch::abandon() {
  abandoned_ = true;
  // Ends a read in progress at once.
  if (response_) response_->connection().close();
}

boost::asio::awaitable<void> EtcdWatch::open(upstream::ConnectionPool& pool, std::string body) {
  upstream::UpstreamClient client(pool);
  response_ =
      co_await client.fetch(boost::beast::http::verb::post, "/v3/watch", json_headers(), body);
  // An error answer (a bad request, a member without a leader) is one JSON object, read as the
  // stream's only message.
  etcd::WatchMessage first = co_await next();
  if (!first.created) throw etcd::Error(etcd::Error::kMalformed, "a watch that was not created");
  created_revision_ = first.revision;
}

boost::asio::awaitable<etcd::WatchMessage> EtcdWatch::next() {
  for (;;) {
    if (abandoned_) throw EtcdWatchAbandoned("the etcd watch was abandoned");
    std::size_t newline = pending_.find('\n');
    if (newline != std::string::npos) {
      std::string line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      co_return etcd::parse_watch_message(line);
    }
    if (pending_.size() > kMaxAnswer) {
      throw etcd::Error(etcd::Error::kMalformed, "an etcd watch message too large");
    }
    std::size_t n = 0;
    try {
      n = co_await response_->append_some(pending_);
    } catch (const upstream::UpstreamError& error) {
      if (abandoned_) throw EtcdWatchAbandoned("the etcd watch was abandoned");
      throw EtcdUnavailable(stream_broke(error.what()));
    }
    if (n == 0) {
      if (pending_.empty()) throw EtcdUnavailable("the etcd watch stream ended");
      // The last message need not end with a newline.
      pending_ += '\n';
    }
  }
}

}  // namespace casserole::cluster
