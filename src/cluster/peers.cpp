#include "cluster/peers.hpp"

#include <algorithm>

namespace casserole::cluster {

Peers::Peers(std::string self) : self_(std::move(self)), ring_({self_}) {}

void Peers::update(std::vector<std::string> members) {
  members.push_back(self_);
  ring_ = Ring(std::move(members));
  std::erase_if(suspects_, [&](const auto& entry) {
    return !std::binary_search(ring_.members().begin(), ring_.members().end(), entry.first);
  });
}

std::vector<std::string_view> Peers::ranked(std::string_view key, std::size_t count) const {
  return ring_.ranked(key, count, [this](std::string_view member) { return suspected(member); });
}

std::optional<std::string> Peers::owner(std::string_view key) const {
  auto ranked_members = ranked(key, 1);
  if (ranked_members.empty() || ranked_members.front() == self_) return std::nullopt;
  return std::string(ranked_members.front());
}

std::optional<std::string> Peers::previous_owner(std::string_view key) const {
  for (std::string_view member : ranked(key, 2)) {
    if (member != self_) return std::string(member);
  }
  return std::nullopt;
}

void Peers::suspect(const std::string& peer, Clock::duration how_long) {
  if (peer == self_) return;
  suspects_[peer] = Clock::now() + how_long;
}

bool Peers::suspected(std::string_view peer) const {
  auto it = suspects_.find(peer);
  return it != suspects_.end() && Clock::now() < it->second;
}

}  // namespace casserole::cluster
