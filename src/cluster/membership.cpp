#include "cluster/membership.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <exception>
#include <iostream>
#include <set>
#include <utility>

namespace casserole::cluster {
namespace {

using Clock = std::chrono::steady_clock;

// How often an unreachable etcd is asked again, and the fastest a watch is opened again after
// the last one: soon enough to be back before a lease of a few seconds runs out, rare enough to
// cost etcd nothing while it struggles.
constexpr auto kRetry = std::chrono::seconds(1);

// Out of the coroutines: GCC 12 misreads string concatenation in a coroutine frame
// (-Warray-bounds).
std::string members_line(const std::vector<std::string>& members) {
  std::string line = "cluster: " + std::to_string(members.size());
  line += members.size() == 1 ? " node:" : " nodes:";
  for (const auto& member : members) line += " " + member;
  return line;
}

std::string unreachable_line(const std::string& why) {
  return "etcd unreachable (" + why + "); keeping the members last seen, retrying every second";
}

std::string revoke_failed_line(const std::string& why) {
  return "could not revoke the etcd lease (" + why +
         "); the others drop this node when it runs out";
}

std::string lease_lost_line(const std::string& why, const std::string& self) {
  return "etcd lease lost (" + why + "); registering " + self + " again";
}

}  // namespace

EtcdMembership::EtcdMembership(boost::asio::any_io_executor executor, Peers& peers, Options options)
    : peers_(peers),
      options_(std::move(options)),
      client_(std::move(executor), options_.endpoints),
      key_(options_.prefix + peers.self()),
      log_(options_.log ? *options_.log : std::cerr) {}

void EtcdMembership::notice(const std::string& line) {
  log_ << "casserole: " << line << std::endl;
}

void EtcdMembership::reachable() {
  if (reachable_) return;
  reachable_ = true;
  notice("etcd reachable again at " + client_.endpoint());
  // The other loop need not wait out its retry pause.
  wake_.notify_all();
}

void EtcdMembership::unreachable(const std::string& why) {
  ++etcd_errors_;
  if (!reachable_) return;
  reachable_ = false;
  notice(unreachable_line(why));
}

void EtcdMembership::lease_lost(const std::string& why) {
  ++etcd_errors_;
  notice(lease_lost_line(why, peers_.self()));
  lease_ = 0;
  registered_ = false;
  // Whatever lost the lease may have lost the keys too, and the revisions with them: a watch
  // resumed from a revision of the lost history would miss changes. List afresh.
  relist_ = true;
  client_.abandon_watches();
}

boost::asio::awaitable<void> EtcdMembership::run() {
  bool watching = true;
  std::exception_ptr watch_failure;
  boost::asio::co_spawn(co_await boost::asio::this_coro::executor, keep_watching(),
                        [&](std::exception_ptr error) {
                          watch_failure = error;
                          watching = false;
                          wake_.notify_all();
                        });
  std::exception_ptr registration_failure;
  try {
    co_await keep_registered();
  } catch (...) {
    registration_failure = std::current_exception();
    stop();
  }
  // keep_watching() refers to this frame until it ends.
  while (watching) co_await wake_.wait();
  if (registration_failure) std::rethrow_exception(registration_failure);
  if (watch_failure) std::rethrow_exception(watch_failure);
}

void EtcdMembership::stop() {
  stopped_ = true;
  wake_.notify_all();
  client_.abandon_watches();
}

boost::asio::awaitable<void> EtcdMembership::leave() {
  stop();
  const std::int64_t lease = std::exchange(lease_, 0);
  registered_ = false;
  if (lease == 0) co_return;
  std::string failure;
  try {
    co_await client_.revoke_lease(lease);
  } catch (const std::exception& error) {
    failure = error.what();
  }
  if (!failure.empty()) notice(revoke_failed_line(failure));
}

boost::asio::awaitable<void> EtcdMembership::register_self() {
  if (lease_ == 0) {
    etcd::Lease lease = co_await client_.grant_lease(options_.lease_ttl.count());
    // leave() has revoked what there was; this lease, with no key under it, just runs out.
    if (stopped_) co_return;
    lease_ = lease.id;
    keep_alive_interval_ = std::chrono::seconds(lease.ttl);
    keep_alive_interval_ /= 3;
  }
  co_await client_.put(key_, peers_.self(), lease_);
  registered_ = !stopped_;
}

boost::asio::awaitable<void> EtcdMembership::keep_registered() {
  while (!stopped_) {
    Clock::duration pause = kRetry;
    std::string failure;
    try {
      if (!registered_) {
        co_await register_self();
      } else if (co_await client_.keep_alive(lease_) == 0 && !stopped_) {
        lease_lost("etcd no longer knows it");
        continue;
      }
      reachable();
      pause = keep_alive_interval_;
    } catch (const etcd::Error& error) {
      if (error.code() == etcd::Error::kNotFound) {
        // A put under a lease that ran out since it was granted.
        if (!stopped_) lease_lost(error.what());
        continue;
      }
      failure = error.what();
    } catch (const std::exception& error) {
      failure = error.what();
    }
    if (stopped_) break;
    if (!failure.empty()) unreachable(failure);
    co_await wake_.wait_until(Clock::now() + pause);
  }
}

boost::asio::awaitable<void> EtcdMembership::list() {
  etcd::Range range = co_await client_.range_prefix(options_.prefix);
  nodes_.clear();
  for (auto& kv : range.kvs) nodes_.emplace(std::move(kv.key), std::move(kv.value));
  revision_ = range.revision;
  relist_ = false;
  publish();
}

boost::asio::awaitable<void> EtcdMembership::keep_watching() {
  while (!stopped_) {
    const Clock::time_point attempt = Clock::now();
    bool opened = false;  // a failure from then on says nothing about etcd being unreachable
    std::string failure;
    try {
      if (relist_) co_await list();
      std::unique_ptr<EtcdWatch> watch =
          co_await client_.watch_prefix(options_.prefix, revision_ + 1);
      opened = true;
      reachable();
      if (watch->created_revision() < revision_) {
        // The store is behind what we saw: etcd lost its data and started its history again.
        relist_ = true;
      }
      while (!relist_) {
        etcd::WatchMessage message = co_await watch->next();
        if (message.canceled) relist_ = true;
        apply(message.events);
      }
    } catch (const EtcdWatchAbandoned&) {
      // On purpose: stopping, or a failed call that has already been reported.
    } catch (const std::exception& error) {
      if (!opened) failure = error.what();
    }
    if (stopped_) break;
    if (!failure.empty()) unreachable(failure);
    co_await wake_.wait_until(attempt + kRetry);
  }
}

void EtcdMembership::apply(const std::vector<etcd::Event>& events) {
  for (const auto& event : events) {
    if (event.type == etcd::Event::Type::put) {
      nodes_.insert_or_assign(event.kv.key, event.kv.value);
    } else {
      nodes_.erase(event.kv.key);
    }
    revision_ = std::max(revision_, event.kv.mod_revision);
  }
  if (!events.empty()) publish();
}

void EtcdMembership::publish() {
  std::set<std::string> members{peers_.self()};
  for (const auto& [key, address] : nodes_) {
    if (!address.empty()) members.insert(address);
  }
  std::vector<std::string> sorted(members.begin(), members.end());
  if (sorted == published_) return;
  published_ = sorted;
  peers_.update(std::move(sorted));
  notice(members_line(published_));
}

}  // namespace casserole::cluster
