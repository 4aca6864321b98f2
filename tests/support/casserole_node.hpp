// One Casserole process under test, listening on its own loopback port.
//
// The node runs `casserole --address=127.0.0.1:<port> <flags...>` in its own directory (so the
// default ./data disk cache is private to it), with its admin listener on another free port
// unless `flags` name one, with the test's environment plus `env`, and its
// output in a log file there. Construction and restart() throw, quoting the log, if the node
// exits or does not listen within the timeout. The destructor stops the node.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace casserole::test {

class CasseroleNode {
 public:
  using Environment = std::vector<std::pair<std::string, std::string>>;

  explicit CasseroleNode(std::vector<std::string> flags, Environment env = {});

  std::uint16_t port() const { return port_; }
  std::string url() const;  // http://127.0.0.1:port, no trailing slash
  // The admin listener, at a free port of its own unless `flags` named one (then 0 and unknown).
  std::uint16_t admin_port() const { return admin_port_; }
  std::string admin_url() const;
  Process& process() { return *process_; }
  std::string log() const;
  const std::filesystem::path& dir() const { return dir_.path(); }

  // Stops the node (SIGTERM) and starts it again with the same flags, port and directory, as
  // for a restart that must find its disk cache.
  void restart();

  // Runs casserole with exactly `flags` (no --address added) in a scratch directory until it
  // exits: {exit code, combined output}. A process still running after `timeout` is killed,
  // adds a test failure and yields -1.
  static std::pair<int, std::string> run_to_exit(
      std::vector<std::string> flags, Environment env = {},
      std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  void start();

  TempDir dir_;
  std::vector<std::string> flags_;
  Environment env_;
  std::uint16_t port_ = 0;
  std::uint16_t admin_port_ = 0;
  std::optional<Process> process_;
};

}  // namespace casserole::test
