// Node: one running Casserole node, every piece wired from the configuration: the upstream
// connection pool, the memory tier, the object directory and segment source, the handlers and
// the client listener, all on one I/O thread. run() serves until SIGINT or SIGTERM.
#pragma once

#include "app/config.hpp"

namespace casserole::app {

// Returns the process exit code; throws on a start-up failure (cannot listen, bad TLS files).
int run_node(const Config& config);

}  // namespace casserole::app
