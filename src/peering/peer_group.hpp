// PeerGroup: the other nodes of the cluster as a source of metadata and segments. Knows who owns
// a key (cluster::Peers) and asks it over the peering protocol, through one keep-alive connection
// pool per peer. A peer that cannot be reached, answers with an error or stalls is marked suspect
// for a while (it owns nothing meanwhile) and the ask throws PeerUnavailable: the caller goes to
// the upstream instead, so a failed node never fails a request.
#pragma once

#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "cluster/peers.hpp"
#include "peering/peer_protocol.hpp"
#include "upstream/connection_pool.hpp"
#include "upstream/header_list.hpp"
#include "upstream/upstream_error.hpp"

namespace casserole::upstream {
class UpstreamResponse;
}

namespace casserole::peering {

class PeerUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The peer's own upstream request failed (it answered 502 or 504 saying so): the upstream is at
// fault, not the peer, and asking the upstream again at once would fail the same way.
class UpstreamFailed : public upstream::UpstreamError {
 public:
  using upstream::UpstreamError::UpstreamError;
};

// The peer was told 412 for the version asked: the object changed upstream. Not the peer's
// fault, so it stays trusted.
class VersionGone : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The peer found the object not cacheable when it fetched the segment (the upstream's answer
// forbids storing it, or ignored the range); what() says why. Not the peer's fault either.
class NotCacheable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class PeerGroup {
 public:
  // `options` bound connecting to and waiting on a peer.
  PeerGroup(boost::asio::any_io_executor executor, cluster::Peers& peers,
            upstream::UpstreamOptions options, std::string secret);
  ~PeerGroup();

  cluster::Peers& peers() { return peers_; }
  const cluster::Peers& peers() const { return peers_; }

  // The metadata record the peer holds or fetched; nullopt when it holds none (Scope::stored).
  boost::asio::awaitable<std::optional<std::string>> meta(const std::string& peer,
                                                          const std::string& target, Scope scope);
  // The peer's response for segment `index` (of `segment_size`-byte segments), `length` bytes,
  // header read and checked, body to be read; null when it holds none (Scope::stored).
  boost::asio::awaitable<std::unique_ptr<upstream::UpstreamResponse>> segment(
      const std::string& peer, const std::string& target, std::string_view meta_record,
      std::uint64_t index, std::uint64_t segment_size, std::uint64_t length, Scope scope);

  // A request to `peer` failed after its header (the body broke off or stalled).
  void failed(const std::string& peer, std::string_view why);

  // How asking a peer went: answered, held none (for a stored copy), the object changed or may
  // not be stored, the peer's own upstream request failed, the peer failed (unreachable, an
  // error status, a body broken off: it is suspect then).
  enum class Outcome { ok, none, changed, upstream_failed, failed, count };
  static const char* to_string(Outcome outcome);
  using Outcomes = std::array<std::uint64_t, static_cast<int>(Outcome::count)>;
  // `visit(peer, outcomes, body bytes received)` for every peer asked since the start.
  template <class Visit>
  void for_each_peer(Visit visit) const {
    for (const auto& [peer, outcomes] : outcomes_) {
      auto pool = pools_.find(peer);
      visit(peer, outcomes, pool == pools_.end() ? 0 : pool->second->stats().received_bytes);
    }
  }

 private:
  boost::asio::awaitable<std::unique_ptr<upstream::UpstreamResponse>> ask(
      const std::string& peer, const PeerRequest& request, std::string_view meta_record);
  upstream::ConnectionPool& pool(const std::string& peer);
  upstream::HeaderList headers_for(std::string_view meta_record) const;

  boost::asio::any_io_executor executor_;
  cluster::Peers& peers_;
  upstream::UpstreamOptions options_;
  std::string secret_;
  std::map<std::string, std::unique_ptr<upstream::ConnectionPool>> pools_;
  std::map<std::string, Outcomes> outcomes_;
};

}  // namespace casserole::peering
