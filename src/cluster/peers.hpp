// Peers: this node's view of the cluster, for choosing owners. The members come from the
// membership (this node is always one of them); a peer that failed a request is suspect for a
// while and owns nothing meanwhile, so its keys go to their runner-up instead of to every
// asking node's direct upstream fetch. Alone, every key is this node's.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/ring.hpp"

namespace casserole::cluster {

class Peers {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Peers(std::string self);

  void update(std::vector<std::string> members);

  // The member that owns `key`; nullopt when it is this node.
  std::optional<std::string> owner(std::string_view key) const;
  // Where this node, as the owner of `key`, looks for a copy it lacks before the upstream: the
  // member that owned the key before this one joined (the runner-up), when it is another node.
  std::optional<std::string> previous_owner(std::string_view key) const;

  void suspect(const std::string& peer, Clock::duration how_long);
  bool suspected(std::string_view peer) const;

  const std::string& self() const { return self_; }
  const Ring& ring() const { return ring_; }

 private:
  std::vector<std::string_view> ranked(std::string_view key, std::size_t count) const;

  std::string self_;
  Ring ring_;
  std::map<std::string, Clock::time_point, std::less<>> suspects_;  // until when
};

}  // namespace casserole::cluster
