// Node: one running Casserole node, every piece wired from the configuration: the upstream
// connection pool, the memory tier, the object directory and segment source, the handlers and
// the client listener, all on one I/O thread. It serves until SIGINT or SIGTERM, then ends the
// process at once: open connections are cut, and nothing held in memory needs saving.
#pragma once

#include "app/config.hpp"

namespace casserole::app {

// Does not return once serving; throws on a start-up failure (cannot listen, bad TLS files).
[[noreturn]] void run_node(const Config& config);

}  // namespace casserole::app
