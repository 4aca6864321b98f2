#include "support/casserole_cluster.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <stdexcept>
#include <thread>

#include "support/http_client.hpp"
#include "support/ports.hpp"

namespace casserole::test {

Cluster::Cluster(std::string upstream, std::vector<std::string> flags, std::size_t nodes)
    : upstream_(std::move(upstream)), flags_(std::move(flags)) {
  for (std::size_t i = 0; i < nodes; ++i) add_node();
}

ClusterNode& Cluster::add_node(const std::vector<std::string>& own_flags) {
  for (int attempt = 0;; ++attempt) {
    ClusterNode added{free_port(), nullptr};
    std::vector<std::string> flags = {
        "--etcd=" + etcd.url(), "--peering-address=" + added.peering_url(),
        std::string("--cluster-secret=") + kClusterSecret, "--mirror-url=" + upstream_};
    flags.insert(flags.end(), flags_.begin(), flags_.end());
    flags.insert(flags.end(), own_flags.begin(), own_flags.end());
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

std::string Cluster::logs() const {
  std::string out;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    out += "--- node " + std::to_string(i) + " (" + nodes_[i].peering_url() + ")\n";
    out += nodes_[i].node->log();
  }
  return out;
}

std::vector<std::string> Cluster::members(std::size_t i) const {
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

bool Cluster::wait_for_members(const std::vector<std::size_t>& nodes,
                               std::vector<std::string> expected,
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

std::vector<std::string> Cluster::peering_urls() const {
  std::vector<std::string> out;
  for (const auto& added : nodes_) out.push_back(added.peering_url());
  return out;
}

std::vector<std::size_t> Cluster::all() const {
  std::vector<std::size_t> out(nodes_.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = i;
  return out;
}

}  // namespace casserole::test
