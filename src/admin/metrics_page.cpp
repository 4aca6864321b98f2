#include "admin/metrics_page.hpp"

#include <string_view>

#include "metrics/exposition.hpp"

namespace casserole::admin {
namespace {

using metrics::Exposition;
using Type = Exposition::Type;
using Kind = casserole::http::CacheStatus::Kind;

constexpr const char* kStatusClasses[] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};

std::uint64_t as_count(bool value) {
  return value ? 1 : 0;
}

// The requests and bytes of one listener; `prefix` names it (casserole_client, casserole_peering).
void listener(Exposition& out, std::string_view prefix, const server::Server& server) {
  const std::string p(prefix);
  const server::ServerStats& stats = server.stats();
  out.family(p + "_requests_total", Type::counter,
             "Requests answered, by method, status class and cache status.");
  for (int m = 0; m < server::ServerStats::kMethods; ++m) {
    for (int c = 0; c < 6; ++c) {
      for (int k = 0; k < server::ServerStats::kCacheKinds; ++k) {
        const std::uint64_t n = stats.requests[m][c][k];
        if (n == 0) continue;
        out.sample({{"method", server::to_string(static_cast<server::ServerStats::Method>(m))},
                    {"status_class", kStatusClasses[c]},
                    {"cache", casserole::http::to_string(static_cast<Kind>(k))}},
                   n);
      }
    }
  }
  out.family(p + "_sent_bytes_total", Type::counter,
             "Response body bytes sent, by where they came from (node: error pages and framing).");
  for (int s = 0; s < server::Exchange::kSources; ++s) {
    out.sample({{"source", server::source_name(s)}}, stats.sent_bytes[s]);
  }
  out.family(p + "_first_byte_seconds", Type::histogram,
             "Time from a request's header to its response's first bytes.");
  out.histogram({}, stats.first_byte_seconds);
  out.family(p + "_connections", Type::gauge, "Connections open.");
  out.sample({}, static_cast<std::uint64_t>(server.connections()));
  out.family(p + "_connections_limit", Type::gauge, "Connections served at once at most.");
  out.sample({}, static_cast<std::uint64_t>(server.limits().max_connections));
  out.family(p + "_connections_accepted_total", Type::counter, "Connections accepted.");
  out.sample({}, stats.accepted);
  out.family(p + "_connections_refused_total", Type::counter,
             "Connections turned away with a 503 at the connection limit.");
  out.sample({}, stats.turned_away);
  out.family(p + "_connections_closed_for_room_total", Type::counter,
             "Idle connections closed at the connection limit to make room for new ones.");
  out.sample({}, stats.closed_for_room);
}

void upstream(Exposition& out, const upstream::UpstreamStats& stats) {
  out.family("casserole_upstream_requests_total", Type::counter,
             "Final answers from the upstream, by purpose and status class.");
  for (int p = 0; p < static_cast<int>(upstream::UpstreamStats::Purpose::count); ++p) {
    for (int c = 1; c < 6; ++c) {
      const std::uint64_t n = stats.answers[p][c];
      if (n == 0) continue;
      out.sample({{"kind", upstream::to_string(static_cast<upstream::UpstreamStats::Purpose>(p))},
                  {"status_class", kStatusClasses[c]}},
                 n);
    }
  }
  out.family("casserole_upstream_received_bytes_total", Type::counter,
             "Response body bytes received from the upstream.");
  out.sample({}, stats.received_bytes);
  out.family("casserole_upstream_errors_total", Type::counter,
             "Upstream requests that failed, by cause.");
  for (int e = 0; e < upstream::UpstreamStats::kErrorKinds; ++e) {
    out.sample({{"cause", upstream::error_name(e)}}, stats.errors[e]);
  }
  out.family("casserole_upstream_segment_fetch_seconds", Type::histogram,
             "Time from a segment's ranged GET to its last byte.");
  out.histogram({}, stats.segment_seconds);
}

void memory(Exposition& out, const NodeState& node) {
  const std::uint64_t segments = segments_in_memory(node);
  const auto& stats = node.memory.stats();
  out.family("casserole_memory_used_bytes", Type::gauge,
             "Bytes the memory tier holds, fetches in flight included.");
  out.sample({}, node.memory.used());
  out.family("casserole_memory_limit_bytes", Type::gauge, "The memory tier's bound.");
  out.sample({}, node.memory.limit());
  out.family("casserole_memory_segments", Type::gauge, "Segments the memory tier holds.");
  out.sample({}, segments);
  out.family("casserole_memory_evictions_total", Type::counter, "Entries evicted from memory.");
  out.sample({}, stats.evictions);
  out.family("casserole_memory_waits_total", Type::counter,
             "Fetches that found all memory in use and waited for some.");
  out.sample({}, stats.waits);
  out.family("casserole_memory_wait_timeouts_total", Type::counter,
             "Waits for memory that ended without it (the request got a 503).");
  out.sample({}, stats.wait_timeouts);
}

void disk(Exposition& out, const disk::DiskStore& disk) {
  const auto& stats = disk.stats();
  out.family("casserole_disk_used_bytes", Type::gauge,
             "Bytes under the disk cache directory, writes in progress included.");
  out.sample({}, disk.usage());
  out.family("casserole_disk_limit_bytes", Type::gauge, "--max-disk-usage.");
  out.sample({}, disk.options().max_usage);
  out.family("casserole_disk_cleaned_bytes", Type::gauge,
             "--cleaned-disk-usage: what eviction brings usage down to.");
  out.sample({}, disk.options().cleaned_usage);
  out.family("casserole_disk_entries", Type::gauge, "Entries on disk.");
  out.sample({}, static_cast<std::uint64_t>(disk.entries()));
  out.family("casserole_disk_indexed", Type::gauge,
             "1 once the entries found at start are indexed.");
  out.sample({}, as_count(disk.indexed()));
  out.family("casserole_disk_usable", Type::gauge,
             "0 from a failed read or write until a write succeeds.");
  out.sample({}, as_count(disk.usable()));
  out.family("casserole_disk_hits_total", Type::counter, "Entries found on disk.");
  out.sample({}, stats.hits);
  out.family("casserole_disk_misses_total", Type::counter, "Entries looked for and not found.");
  out.sample({}, stats.misses);
  out.family("casserole_disk_writes_total", Type::counter, "Entries written.");
  out.sample({}, stats.writes);
  out.family("casserole_disk_evictions_total", Type::counter, "Entries evicted from disk.");
  out.sample({}, stats.evicted);
  out.family("casserole_disk_errors_total", Type::counter,
             "Disk operations that failed, by kind (damaged: a checksum or header mismatch).");
  for (int kind = 0; kind < disk::DiskStore::Stats::kFailureKinds; ++kind) {
    out.sample({{"kind", disk::DiskStore::failure_name(kind)}}, stats.failures[kind]);
  }
  out.family("casserole_disk_checksum_failures_total", Type::counter,
             "Entries whose checksum or header did not match; each was removed.");
  out.sample({}, stats.failures[static_cast<int>(disk::DiskStore::Failure::damaged)]);
}

void cluster(Exposition& out, const peering::PeerGroup& peers,
             const cluster::EtcdMembership& membership) {
  out.family("casserole_peer_requests_total", Type::counter,
             "Requests to other nodes, by peer and outcome.");
  peers.for_each_peer([&](const std::string& peer, const peering::PeerGroup::Outcomes& outcomes,
                          std::uint64_t) {
    for (int o = 0; o < static_cast<int>(peering::PeerGroup::Outcome::count); ++o) {
      if (outcomes[o] == 0) continue;
      out.sample(
          {{"peer", peer},
           {"outcome", peering::PeerGroup::to_string(static_cast<peering::PeerGroup::Outcome>(o))}},
          outcomes[o]);
    }
  });
  out.family("casserole_peer_received_bytes_total", Type::counter,
             "Response body bytes received from other nodes, by peer.");
  peers.for_each_peer(
      [&](const std::string& peer, const peering::PeerGroup::Outcomes&, std::uint64_t bytes) {
        out.sample({{"peer", peer}}, bytes);
      });
  std::uint64_t suspects = 0;
  const auto& members = peers.peers().ring().members();
  for (const auto& member : members) suspects += as_count(peers.peers().suspected(member));
  out.family("casserole_cluster_members", Type::gauge,
             "Members of the cluster, this node included.");
  out.sample({}, static_cast<std::uint64_t>(members.size()));
  out.family("casserole_cluster_suspects", Type::gauge,
             "Members that failed a request lately and own nothing for now.");
  out.sample({}, suspects);
  out.family("casserole_cluster_registered", Type::gauge,
             "1 while this node's key is held in etcd under a live lease.");
  out.sample({}, as_count(membership.registered()));
  out.family("casserole_etcd_reachable", Type::gauge, "1 while etcd answers.");
  out.sample({}, as_count(membership.etcd_reachable()));
  out.family("casserole_etcd_errors_total", Type::counter, "Failed calls to etcd and leases lost.");
  out.sample({}, membership.etcd_errors());
}

}  // namespace

std::string render_metrics(const NodeState& node) {
  Exposition out;
  out.family("casserole_build_info", Type::gauge, "The running version; always 1.");
  out.sample({{"version", CASSEROLE_VERSION}}, std::uint64_t{1});
  out.family("casserole_start_time_seconds", Type::gauge, "When the node started, Unix time.");
  out.sample({}, std::chrono::duration<double>(node.started.time_since_epoch()).count());
  out.family("casserole_ready", Type::gauge, "1 when /readyz says ready.");
  out.sample({}, as_count(not_ready_because(node).empty()));
  listener(out, "casserole_client", node.clients);
  if (node.peering) listener(out, "casserole_peering", *node.peering);
  upstream(out, node.upstream.stats());
  out.family("casserole_fetches_in_flight", Type::gauge,
             "Segments being filled from the upstream or a peer.");
  out.sample({}, static_cast<std::uint64_t>(node.segments.fetches().size()));
  memory(out, node);
  if (node.disk) disk(out, *node.disk);
  if (node.peers && node.membership) cluster(out, *node.peers, *node.membership);
  return out.text();
}

}  // namespace casserole::admin
