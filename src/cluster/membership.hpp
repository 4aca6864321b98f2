// EtcdMembership: keeps cluster::Peers up to date from etcd. This node registers its peering
// address (peers.self()) as the key <prefix><address>, value <address>, under a lease it keeps
// alive every TTL/3; it lists the prefix and watches it from the listed revision on, so nodes
// that register, leave or whose lease runs out come and go in Peers. Each change of the member
// set is logged as one line.
//
// etcd failing is never fatal. Unreachable (no endpoint answers): the last members seen stay,
// one line is logged when etcd goes and one when it is back, and everything is retried about
// every second. The lease lost (etcd restarted without its data, or a pause longer than the
// TTL): the node registers again under a new lease and lists again. A watch broken off resumes
// from the last revision seen; one whose history was compacted away, lists again.
//
// Everything runs on one io_context thread. run() until stop(); on a graceful stop, leave()
// instead: it also revokes the lease, so the others drop this node at once rather than when the
// lease runs out. The membership must outlive run().
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "async/signal.hpp"
#include "cluster/etcd_client.hpp"
#include "cluster/peers.hpp"

namespace casserole::cluster {

class EtcdMembership {
 public:
  struct Options {
    std::vector<std::string> endpoints;  // etcd URLs, tried in turn
    std::string prefix = "/casserole/nodes/";
    std::chrono::seconds lease_ttl{10};  // how long a node that stopped answering stays a member
    std::ostream* log = nullptr;         // where notices go; stderr when null
  };

  // Throws std::invalid_argument for an endpoint that is not an http(s) URL, or for none.
  EtcdMembership(boost::asio::any_io_executor executor, Peers& peers, Options options);

  // Registers, lists, watches and keeps the lease alive until stop() or leave().
  boost::asio::awaitable<void> run();
  // Makes run() return soon: once the etcd call in progress ends (EtcdClient's bounds; a watch
  // being opened on an etcd that hangs, within EtcdClient::kWatchSilence). The lease is left to
  // run out.
  void stop();
  // stop(), and revokes the lease so the others drop this node at once. Best effort: bounded
  // like any etcd call, and never throws.
  boost::asio::awaitable<void> leave();

  // This node's key is put under a live lease.
  bool registered() const { return registered_; }
  // etcd's view, as last listed or watched, has this node among the members: peers route to it.
  bool listed() const { return nodes_.contains(key_); }
  bool etcd_reachable() const { return reachable_; }
  // Failed calls to etcd and leases lost, since the start.
  std::uint64_t etcd_errors() const { return etcd_errors_; }

 private:
  boost::asio::awaitable<void> keep_registered();
  boost::asio::awaitable<void> register_self();
  boost::asio::awaitable<void> keep_watching();
  boost::asio::awaitable<void> list();
  void apply(const std::vector<etcd::Event>& events);
  void publish();
  void lease_lost(const std::string& why);
  void reachable();
  void unreachable(const std::string& why);
  void notice(const std::string& line);

  Peers& peers_;
  Options options_;
  EtcdClient client_;
  const std::string key_;  // this node's
  std::ostream& log_;

  bool stopped_ = false;
  async::Signal wake_;  // ends pauses early: stop(), or etcd back

  std::int64_t lease_ = 0;   // 0: none granted
  bool registered_ = false;  // key_ put under lease_
  std::chrono::milliseconds keep_alive_interval_{0};
  bool reachable_ = true;  // as last logged
  std::uint64_t etcd_errors_ = 0;

  std::map<std::string, std::string> nodes_;  // key -> address, as etcd has them
  std::int64_t revision_ = 0;                 // nodes_ is etcd's state as of this revision
  bool relist_ = true;                        // nodes_ is to be listed afresh before watching
  std::vector<std::string> published_;        // sorted, self included; empty until listed
};

}  // namespace casserole::cluster
