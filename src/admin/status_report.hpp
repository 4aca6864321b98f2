// The node's state as one JSON document, for GET /status on the admin listener and the status
// page that reads it: the node, its traffic and what it saved upstream, memory and disk against
// their bounds, the cluster's members, the fetches in flight and the objects that take the most
// room. Scripts may rely on its fields; docs/admin.md lists them.
#pragma once

#include <string>

#include "admin/node_state.hpp"

namespace casserole::admin {

std::string render_status(const NodeState& node);

}  // namespace casserole::admin
