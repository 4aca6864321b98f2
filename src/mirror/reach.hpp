// Reach: how far a lookup may go for what this node does not hold.
#pragma once

namespace casserole::mirror {

enum class Reach {
  // A client's request: the key's owner when that is another node, else as `owner`.
  cluster,
  // This node answers for the key (it owns it, or a peer asked): the previous owner's stored
  // copy, then the upstream. Never another node's fetch, so a request travels one hop.
  owner,
  // What this node holds, in memory or on disk; nothing is fetched.
  stored,
};

}  // namespace casserole::mirror
