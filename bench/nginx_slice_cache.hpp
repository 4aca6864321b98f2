// The benchmark's peer: nginx as the caching reverse proxy operators deploy for large objects
// (the slice module cutting objects into 2 MiB ranged fetches, each cached on disk, with one
// upstream fetch per slice however many clients ask), in front of the same origin as Casserole.
//
// Like NginxOrigin, each instance owns a directory (config, cache, temp paths, error log) and a
// foreground nginx with `master_process off`, so it runs as root or not and leaves nothing
// behind; the destructor stops it. Construction throws, with nginx's error log, if it does not
// come up.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace casserole::bench {

class NginxSliceCache {
 public:
  explicit NginxSliceCache(std::uint16_t upstream_port);

  std::string url() const;  // http://127.0.0.1:port, no trailing slash
  std::string error_log() const;
  // Without a master process the one nginx process is the worker: its memory is the cache's.
  pid_t pid() const { return process_->pid(); }

 private:
  void write_config(std::uint16_t upstream_port) const;

  test::TempDir dir_;
  std::uint16_t port_ = 0;
  std::optional<test::Process> process_;
};

}  // namespace casserole::bench
