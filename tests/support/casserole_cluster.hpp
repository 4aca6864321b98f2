// A cluster on loopback: a real etcd, an upstream, and casserole nodes that find each other
// through that etcd, each with its own client port, peering port and disk cache directory, all
// sharing kClusterSecret. Nodes can be added, killed and restarted; what a node thinks of the
// cluster is read from its peering listener (/_casserole/members), with libcurl like every
// other request of the tests. The integration tests and the benchmark's herd both use it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/casserole_node.hpp"
#include "support/etcd_server.hpp"

namespace casserole::test {

inline constexpr char kClusterSecret[] = "integration-secret";

struct ClusterNode {
  std::uint16_t peering_port = 0;
  std::unique_ptr<CasseroleNode> node;

  std::string peering_url() const { return "http://127.0.0.1:" + std::to_string(peering_port); }
};

class Cluster {
 public:
  // `flags` go to every node, after the cluster's own (--etcd, --peering-address, the secret,
  // --mirror-url); the disk tier stays on, each node in its own directory.
  Cluster(std::string upstream, std::vector<std::string> flags, std::size_t nodes);

  // Starts one more node, with `own_flags` after every node's. Its peering port is picked free
  // beforehand, so another process may take it first: a node that then fails to start is tried
  // again on another port.
  ClusterNode& add_node(const std::vector<std::string>& own_flags = {});

  std::size_t size() const { return nodes_.size(); }
  // Every node's log, for failure messages.
  std::string logs() const;
  CasseroleNode& node(std::size_t i) { return *nodes_.at(i).node; }
  const ClusterNode& at(std::size_t i) const { return nodes_.at(i); }
  std::string url(std::size_t i, const std::string& path) { return node(i).url() + path; }

  // The peering addresses node i counts as members, sorted; nothing if it does not answer.
  std::vector<std::string> members(std::size_t i) const;
  // True once every node in `nodes` counts exactly the members in `expected`; false after
  // `timeout`.
  bool wait_for_members(const std::vector<std::size_t>& nodes, std::vector<std::string> expected,
                        std::chrono::milliseconds timeout) const;
  // True once every node counts every node; false after `timeout`.
  bool wait_until_formed(std::chrono::milliseconds timeout) const {
    return wait_for_members(all(), peering_urls(), timeout);
  }

  // Every node's peering address, in the order the nodes were started.
  std::vector<std::string> peering_urls() const;
  std::vector<std::size_t> all() const;

  EtcdServer etcd;

 private:
  std::string upstream_;
  std::vector<std::string> flags_;
  std::vector<ClusterNode> nodes_;
};

}  // namespace casserole::test
