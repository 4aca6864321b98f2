// The scriptable origin (tests/origin/fault_origin.cpp) run as a child process: an upstream
// that misbehaves on request (slow, stalling, cutting off, ignoring Range, changing versions).
//
// Objects are registered with put_object(); their bodies are the pattern (pattern.hpp) for the
// spec's seed, so pattern_sha256(seed, first, length) is the digest of any range. requests()
// lists every non-control request the origin received since start or clear_log(), in arrival
// order (recorded on arrival, before the response). Construction throws if the origin does not
// come up; control calls that fail add a test failure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/http_client.hpp"
#include "support/object_spec.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace casserole::test {

class FaultOrigin {
 public:
  FaultOrigin();

  std::uint16_t port() const { return port_; }
  std::string url() const;  // http://127.0.0.1:port, no trailing slash

  // `path` is the request target as clients will send it (percent-encoded, optionally with a
  // query); a target with a query that is not registered falls back to its path.
  void put_object(const std::string& path, const ObjectSpec& spec);
  std::vector<LoggedRequest> requests();
  void clear_log();

  Process& process() { return *process_; }

 private:
  TempDir dir_;
  std::uint16_t port_ = 0;
  std::optional<Process> process_;
  HttpClient control_;
};

}  // namespace casserole::test
