// EtcdClient: the few etcd v3 calls cluster membership needs (leases, put, a prefix listing and
// a prefix watch), over the JSON gateway of etcd 3.4 (etcd_protocol.hpp). A call goes to the
// endpoint that answered last; one that cannot be reached, times out or answers that it cannot
// serve moves the call on to the next, and when none answers the call throws EtcdUnavailable.
// Other error answers are etcd::Errors. Every call is bounded in time: about kConnectTimeout +
// kReplyTimeout per endpoint tried. String arguments are views that must outlive the call.
//
// A watch is a stream that stays open while etcd has nothing to say, so its silence alone proves
// nothing. A call failing on an endpoint abandons the watches open there (whatever silenced the
// call may silence them), and a watch silent for kWatchSilence ends by itself, so a stream that
// died without a sound cannot blind its reader for long. Either way its next() throws and the
// reader opens a new watch from the last revision it saw. Lives on one io_context thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "cluster/etcd_protocol.hpp"

namespace casserole::upstream {
class ConnectionPool;
class UpstreamResponse;
}  // namespace casserole::upstream

namespace casserole::cluster {

class EtcdUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The watch was ended on purpose (EtcdClient::abandon_watches, or a failed call on its endpoint),
// not by etcd.
class EtcdWatchAbandoned : public EtcdUnavailable {
 public:
  using EtcdUnavailable::EtcdUnavailable;
};

class EtcdWatch;

class EtcdClient {
 public:
  // etcd answers in milliseconds when it can; a member that does not accept a connection within
  // a second is down or cut off, and the next one should be asked while leases still run.
  static constexpr std::chrono::milliseconds kConnectTimeout{1000};
  // Covers a leader election on a healthy cluster (1 s by default) and leaves time within a
  // 10 s lease to ask another member.
  static constexpr std::chrono::milliseconds kReplyTimeout{3000};
  // A quiet watch costs one new request this often; a dead one blinds its reader this long at
  // most, when nothing else noticed. Also the longest wait for a watch to be created: an
  // abandoned watch being opened ends only once its request does.
  static constexpr std::chrono::milliseconds kWatchSilence{30000};

  // Endpoints are http(s) URLs of etcd members; throws std::invalid_argument for any other
  // string, or for none.
  EtcdClient(boost::asio::any_io_executor executor, const std::vector<std::string>& endpoints);
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // A lease of at least `ttl_seconds` (etcd may grant more).
  boost::asio::awaitable<etcd::Lease> grant_lease(std::int64_t ttl_seconds);
  // The lease's remaining TTL in seconds; 0 when etcd no longer knows it.
  boost::asio::awaitable<std::int64_t> keep_alive(std::int64_t lease);
  boost::asio::awaitable<void> revoke_lease(std::int64_t lease);
  boost::asio::awaitable<void> put(std::string_view key, std::string_view value,
                                   std::int64_t lease);
  boost::asio::awaitable<etcd::Range> range_prefix(std::string_view prefix);
  // A watch of every key under `prefix`, reporting changes from `start_revision` on; returns
  // once etcd has created it. An abandoned attempt is not retried on another endpoint.
  boost::asio::awaitable<std::unique_ptr<EtcdWatch>> watch_prefix(std::string_view prefix,
                                                                  std::int64_t start_revision);

  // Ends every watch open or being opened: their next() (or watch_prefix) throws
  // EtcdWatchAbandoned.
  void abandon_watches();

  // The endpoint calls go to first: the last one that answered.
  const std::string& endpoint() const;

 private:
  friend class EtcdWatch;
  struct Endpoint;

  // co_awaits attempt(endpoint, index) on each endpoint in turn from the current one, until one
  // answers; that one becomes current.
  template <class Attempt>
  std::invoke_result_t<Attempt&, Endpoint&, std::size_t> first_answer(Attempt attempt);
  // POSTs `body` to `path` and parses the answer.
  template <class Parse>
  boost::asio::awaitable<std::invoke_result_t<Parse&, std::string_view>> call(std::string_view path,
                                                                              std::string body,
                                                                              Parse parse);
  // Abandons the watches on an endpoint that has just failed.
  void failed(std::size_t endpoint);

  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::size_t current_ = 0;
  std::list<EtcdWatch*> watches_;  // open or being opened
};

// EtcdWatch: one open watch stream, read a message at a time. Must not outlive its client.
class EtcdWatch {
 public:
  ~EtcdWatch();
  EtcdWatch(const EtcdWatch&) = delete;
  EtcdWatch& operator=(const EtcdWatch&) = delete;

  // The store's revision when etcd created the watch.
  std::int64_t created_revision() const { return created_revision_; }

  // The next message, however long etcd stays silent (up to kWatchSilence). Throws
  // EtcdUnavailable when the stream breaks, ends or is abandoned, etcd::Error for a message that
  // is an error or not one etcd sends.
  boost::asio::awaitable<etcd::WatchMessage> next();

 private:
  friend class EtcdClient;
  EtcdWatch(EtcdClient& client, std::size_t endpoint);
  boost::asio::awaitable<void> open(upstream::ConnectionPool& pool, std::string body);
  void abandon();

  EtcdClient& client_;
  std::size_t endpoint_;
  std::list<EtcdWatch*>::iterator registration_;
  std::unique_ptr<upstream::UpstreamResponse> response_;
  std::string pending_;  // bytes read past the last complete message
  bool abandoned_ = false;
  std::int64_t created_revision_ = 0;
};

}  // namespace casserole::cluster
