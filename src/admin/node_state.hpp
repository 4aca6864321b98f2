// NodeState: the parts of a running node that the admin listener reports on, read on the I/O
// thread when a request asks, never copied. Optional parts are null when the node runs without
// them (no disk tier, no cluster).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "cache/memory_store.hpp"
#include "cluster/membership.hpp"
#include "disk/disk_store.hpp"
#include "mirror/object_directory.hpp"
#include "mirror/segment_source.hpp"
#include "peering/peer_group.hpp"
#include "server/server.hpp"
#include "upstream/connection_pool.hpp"

namespace casserole::admin {

struct NodeState {
  std::string address;          // the client listener's host:port
  std::string peering_address;  // empty without a cluster
  std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
  const server::Server& clients;
  const server::Server* peering = nullptr;
  const cache::MemoryStore& memory;
  const disk::DiskStore* disk = nullptr;
  std::string disk_failure;  // why a disk tier that was asked for could not be opened
  const upstream::ConnectionPool& upstream;
  const mirror::ObjectDirectory& directory;
  const mirror::SegmentSource& segments;
  const peering::PeerGroup* peers = nullptr;
  const cluster::EtcdMembership* membership = nullptr;
};

// Why the node should not be sent traffic now; empty when it is ready: its client listener is
// open, its disk tier is usable and indexed, and in a cluster it is registered and listed.
std::vector<std::string> not_ready_because(const NodeState& node);

// Segments the memory tier holds (it also holds metadata).
std::uint64_t segments_in_memory(const NodeState& node);

}  // namespace casserole::admin
