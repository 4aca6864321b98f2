// The repository's scripts run as a user runs them: the processes a script says it started
// ("node 1  http://127.0.0.1:4242  pid 77  log ..."), whether they still run, and waiting for
// a line of its output.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "support/process.hpp"

namespace casserole::test::deploy {

struct Started {
  std::string name;  // "origin", "etcd", "node 1", ...
  std::string url;
  std::uint16_t port = 0;
  pid_t pid = 0;
};
std::vector<Started> started(const std::string& output);

bool alive(pid_t pid);

// True once `text` is in the process's output; false if it exits first or `timeout` passes.
bool wait_for_output(Process& process, std::string_view text, std::chrono::milliseconds timeout);

}  // namespace casserole::test::deploy
