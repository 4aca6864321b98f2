// A private etcd (Debian's etcd-server 3.4) for one test: a single member with its own data
// directory and its client and peer URLs on free loopback ports, stopped by the destructor.
//
// It is tuned for tests (10 ms heartbeats), which also lowers the shortest lease etcd grants to
// one second. Construction and the restarts wait until it answers GET /health and throw, quoting
// its log, if it does not. The test talks to it with libcurl through its JSON gateway, never
// with Casserole's own etcd client: keys() and the other helpers are that independent client.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace casserole::test {

class EtcdServer {
 public:
  EtcdServer();
  ~EtcdServer();
  EtcdServer(const EtcdServer&) = delete;
  EtcdServer& operator=(const EtcdServer&) = delete;

  std::uint16_t port() const { return client_port_; }
  std::string url() const;  // http://127.0.0.1:port, no trailing slash

  void stop();    // SIGTERM, as an operator stops it
  void kill();    // SIGKILL, as a crash ends it
  void pause();   // SIGSTOP: connections stay open and nothing answers
  void resume();  // SIGCONT
  // Starts it again, stopping it first if it runs, with the same data and ports: keys and
  // leases survive.
  void restart();
  // The same, with a fresh data directory: every key, lease and revision is gone.
  void restart_empty();

  // Every key under `prefix`, with its value.
  std::map<std::string, std::string> keys(std::string_view prefix) const;
  // Puts `key` under a lease of `ttl_seconds` that nobody keeps alive.
  void put_with_lease(std::string_view key, std::string_view value, int ttl_seconds) const;
  // Drops the history before the current revision; returns that revision.
  std::int64_t compact() const;

  std::string log() const;

 private:
  void start();
  std::string post(std::string_view path, const std::string& body) const;

  TempDir dir_;
  std::uint16_t client_port_ = 0;
  std::uint16_t peer_port_ = 0;
  int generation_ = 0;  // which data directory: restart_empty() starts a new one
  std::optional<Process> process_;
  bool paused_ = false;
};

}  // namespace casserole::test
