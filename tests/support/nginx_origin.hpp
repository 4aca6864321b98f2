// A real nginx serving a docroot on a loopback port: the well-behaved upstream of the tests.
//
// Each instance has its own directory (config, docroot, logs, temp paths) and its own
// foreground nginx (`master_process off`), stopped by the destructor. With `tls`, a fresh CA and
// a server certificate for 127.0.0.1 and localhost are generated (openssl CLI); clients trust
// ca_file(). The access log records one line per finished request; access_log() parses it.
// Construction throws (failing the test, with nginx's error log) if nginx does not come up.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace casserole::test {

struct AccessLogEntry {
  std::string method{};
  std::string uri{};  // $request_uri: path and query as the client sent them
  std::string range{};
  std::string if_match{};
  std::string if_unmodified_since{};
  int status = 0;
  std::uint64_t bytes = 0;  // body bytes sent
};

// The start of an nginx.conf for a private foreground nginx in `dir` (one worker; pid, error log
// and temp paths inside `dir`), ending inside an open `http {` block for the caller to finish.
std::string nginx_config_preamble(const std::filesystem::path& dir);

// Starts a private foreground nginx run from dir/nginx.conf, which write_config writes for the
// port it is given. free_port() can race with another process taking the port, and nginx then
// exits, so a few ports are tried. Throws, with nginx's error log, if it never listens.
struct StartedNginx {
  Process process;
  std::uint16_t port;
};
StartedNginx start_private_nginx(const std::filesystem::path& dir,
                                 const std::function<void(std::uint16_t port)>& write_config);

class NginxOrigin {
 public:
  struct Options {
    std::string location_config = "expires 1h;";  // placed inside `location / { }`
    bool tls = false;
  };

  NginxOrigin() : NginxOrigin(Options{}) {}
  explicit NginxOrigin(Options options);

  std::uint16_t port() const { return port_; }
  std::string url() const;  // http(s)://127.0.0.1:port, no trailing slash
  const std::filesystem::path& docroot() const { return docroot_; }
  std::string ca_file() const;  // empty without tls

  // nginx writes a line once a request has finished, which may be just after the client saw
  // the last byte: wait_for_access_log() waits (bounded) until at least `count` lines exist.
  std::vector<AccessLogEntry> access_log() const;
  std::vector<AccessLogEntry> wait_for_access_log(
      std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(2)) const;
  std::string error_log() const;

 private:
  void generate_certificate();
  void write_config(const Options& options);

  TempDir dir_;
  std::filesystem::path docroot_;
  std::uint16_t port_ = 0;
  bool tls_ = false;
  std::optional<Process> process_;
};

}  // namespace casserole::test
