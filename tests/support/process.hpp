// A child process a test starts (an origin, a Casserole node, a CLI tool) and always ends.
//
// The child is started with posix_spawnp (argv[0] may be a bare name), stdin from /dev/null and
// stdout + stderr appended to `log_file`, with the test's environment plus `extra_env` (which
// overrides) and default signal dispositions. It runs in `working_dir` when one is given. The
// destructor stops it. Only this object's own pid is ever signalled. Movable; a moved-from
// Process owns nothing. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace casserole::test {

class Process {
 public:
  // Throws std::system_error if the program cannot be started.
  Process(std::vector<std::string> argv, std::filesystem::path log_file,
          std::vector<std::pair<std::string, std::string>> extra_env = {},
          std::filesystem::path working_dir = {});
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  ~Process();

  pid_t pid() const { return pid_; }
  bool running();

  // The exit code once the process has ended by itself (128 + signal if a signal ended it), or
  // nullopt if it is still running after `timeout`. After stop() it returns how stop() ended it.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  // SIGTERM, then SIGKILL if the process has not exited after `grace`. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  // SIGKILL at once, as a crash would end it, and waits for the exit. Idempotent.
  void kill();

  // True once 127.0.0.1:port accepts connections; false if the process exits or `timeout`
  // passes first.
  bool wait_until_listening(std::uint16_t port, std::chrono::milliseconds timeout);

  // Everything the process wrote so far.
  std::string log() const;
  const std::filesystem::path& log_file() const { return log_file_; }

 private:
  // Reaps the child if it has exited; true if it has (now or before).
  bool reap(bool block);
  void release() noexcept;

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::filesystem::path log_file_;
};

}  // namespace casserole::test
