// A cluster on loopback: a real etcd, an upstream, and casserole nodes that find each other
// through that etcd, each with its own client port, peering port and disk cache directory.
// Nodes can be added, killed and restarted; what a node thinks of the cluster is read from its
// peering listener (/_casserole/members), with libcurl like every other request of the tests.
#pragma once

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/casserole_node.hpp"
#include "support/etcd_server.hpp"
#include "support/http_client.hpp"
#include "support/ports.hpp"

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
  Cluster(std::string upstream, std::vector<std::string> flags, std::size_t nodes)
      : upstream_(std::move(upstream)), flags_(std::move(flags)) {
    for (std::size_t i = 0; i < nodes; ++i) add_node();
  }

  // Starts one more node. Its peering port is picked free beforehand, so another process may
  // take it first: a node that then fails to start is tried again on another port.
  ClusterNode& add_node() {
    for (int attempt = 0;; ++attempt) {
      ClusterNode added{free_port(), nullptr};
      std::vector<std::string> flags = {
          "--etcd=" + etcd.url(), "--peering-address=" + added.peering_url(),
          std::string("--cluster-secret=") + kClusterSecret, "--mirror-url=" + upstream_};
      flags.insert(flags.end(), flags_.begin(), flags_.end());
      try {
        added.node = std::make_unique<CasseroleNode>(flags);
      } catch (const std::runtime_error&) {
        if (attempt == 2) throw;
        continue;
      }
      nodes_.push_back(std::move(added));
      return nodes_.back();
    }
  }

  std::size_t size() const { return nodes_.size(); }
  // Every node's log, for failure messages.
  std::string logs() const {
    std::string out;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      out += "--- node " + std::to_string(i) + " (" + nodes_[i].peering_url() + ")\n";
      out += nodes_[i].node->log();
    }
    return out;
  }
  CasseroleNode& node(std::size_t i) { return *nodes_.at(i).node; }
  const ClusterNode& at(std::size_t i) const { return nodes_.at(i); }
  std::string url(std::size_t i, const std::string& path) { return node(i).url() + path; }

  // The peering addresses node i counts as members, sorted; nothing if it does not answer.
  std::vector<std::string> members(std::size_t i) const {
    HttpClient client;
    Response response =
        client.perform(Request{.url = nodes_.at(i).peering_url() + "/_casserole/members",
                               .headers = {std::string("X-Casserole-Secret: ") + kClusterSecret},
                               .timeout_ms = 2000});
    std::vector<std::string> out;
    if (response.status != 200) return out;
    const boost::json::value view = boost::json::parse(response.body);
    for (const auto& member : view.at("members").as_array()) out.emplace_back(member.as_string());
    return out;
  }

  // True once every node in `nodes` counts exactly the members in `expected`; false after
  // `timeout`.
  bool wait_for_members(const std::vector<std::size_t>& nodes, std::vector<std::string> expected,
                        std::chrono::milliseconds timeout) const {
    std::sort(expected.begin(), expected.end());
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      bool agreed = std::all_of(nodes.begin(), nodes.end(),
                                [&](std::size_t i) { return members(i) == expected; });
      if (agreed) return true;
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  // Every node's peering address, in the order the nodes were started.
  std::vector<std::string> peering_urls() const {
    std::vector<std::string> out;
    for (const auto& added : nodes_) out.push_back(added.peering_url());
    return out;
  }
  std::vector<std::size_t> all() const {
    std::vector<std::size_t> out(nodes_.size());
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = i;
    return out;
  }

  EtcdServer etcd;

 private:
  std::string upstream_;
  std::vector<std::string> flags_;
  std::vector<ClusterNode> nodes_;
};

}  // namespace casserole::test
