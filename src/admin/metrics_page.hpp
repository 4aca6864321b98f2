// The node's metrics in the Prometheus text format (version 0.0.4), for GET /metrics on the
// admin listener: counters since the start and gauges as of now, read from the node's parts.
#pragma once

#include <string>

#include "admin/node_state.hpp"

namespace casserole::admin {

inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string render_metrics(const NodeState& node);

}  // namespace casserole::admin
