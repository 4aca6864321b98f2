#include "admin/node_state.hpp"

namespace casserole::admin {

std::vector<std::string> not_ready_because(const NodeState& node) {
  std::vector<std::string> reasons;
  if (!node.clients.listening()) reasons.emplace_back("the client listener is closed (stopping)");
  if (!node.disk_failure.empty())
    reasons.push_back("the disk cache is unusable: " + node.disk_failure);
  if (node.disk && !node.disk->usable()) reasons.emplace_back("the disk cache is failing");
  if (node.disk && !node.disk->indexed()) reasons.emplace_back("the disk cache is being indexed");
  if (node.membership && !node.membership->registered()) {
    reasons.emplace_back("not registered in etcd");
  }
  if (node.membership && !node.membership->listed()) {
    reasons.emplace_back("etcd does not list this node among the members yet");
  }
  return reasons;
}

std::uint64_t segments_in_memory(const NodeState& node) {
  std::uint64_t segments = 0;
  node.memory.for_each([&](const std::string& key, const cache::Cached&) {
    if (key.starts_with("seg ")) ++segments;
  });
  return segments;
}

}  // namespace casserole::admin
