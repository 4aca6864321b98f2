#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace casserole::app {

// Every setting of a Casserole node. The member initialisers are the documented defaults; a
// Config returned by parse_config() has passed every per-option and cross-option check.
struct Config {
  static constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

  std::string listen_host = "localhost";  // without brackets for IPv6
  std::uint16_t listen_port = 8080;
  std::string mirror_url = "http://localhost:9000";  // no trailing slash, query or fragment
  std::uint64_t max_memory_usage = 100 * kMiB;       // at least segment_size
  bool disk_cache_enabled = true;
  std::filesystem::path disk_cache_dir = "./data";
  std::uint64_t max_disk_usage = 1024 * kMiB;
  std::uint64_t cleaned_disk_usage = 800 * kMiB;  // at most max_disk_usage
  std::vector<std::string> etcd;                  // etcd endpoint URLs; empty means standalone
  std::string peering_address = "http://localhost:8000";
  std::string cluster_secret;            // peer requests must carry it; empty: not checked
  std::vector<std::string> passthrough;  // request path glob patterns never cached
  std::uint64_t segment_size = 2 * kMiB;
  std::chrono::seconds min_ttl{60};
  std::chrono::seconds default_ttl{0};              // for answers that give no lifetime; 0: none
  std::vector<std::string> ttl;                     // "GLOB=DURATION", checked by parse_path_ttl
  std::vector<std::string> immutable;               // path globs whose bytes never change
  std::vector<std::string> cache_key_ignore_query;  // query parameter name globs
  bool metadata_from_get = false;  // --metadata-from=get: the first segment's GET, not HEAD
  std::chrono::milliseconds upstream_connect_timeout{5000};
  std::chrono::milliseconds upstream_timeout{30000};  // idle read/write timeout
  std::chrono::milliseconds peer_timeout{10000};      // a peer silent this long is suspect
  std::size_t upstream_max_idle = 32;                 // idle keep-alive connections kept
  bool upstream_insecure = false;                     // skip TLS verification (testing only)
  std::string upstream_ca_file;                       // extra PEM bundle to trust; empty: none
  unsigned read_ahead = 4;                            // segments fetched ahead of a reader
  bool access_log = true;
  bool access_log_json = false;  // --access-log-format=json
  std::string admin_host = "127.0.0.1";
  std::uint16_t admin_port = 9190;
  std::string admin_token;  // admin requests that change state must carry it; empty: not checked
  std::size_t max_connections = 0;  // per listener; 0: auto, from the open-file limit
  std::chrono::milliseconds client_header_timeout{10000};  // for a whole request header
  std::chrono::milliseconds keepalive_timeout{30000};      // idle between requests
};

// The outcome of parse_config(). Exactly one of these holds:
//   - config is set, exit_code is 0, out and err are empty: run the node;
//   - config is empty, exit_code is 0, out holds --help or --version text: print it and exit;
//   - config is empty, exit_code is 2, err holds one line ending in '\n' saying what is wrong.
struct ParseResult {
  std::optional<Config> config;
  int exit_code = 0;
  std::string out;
  std::string err;
};

// Builds a Config from the command line (argv[0] is the program name and is ignored) and from
// `environment`, a list of "NAME=value" strings such as process_environment() returns.
// Every option is a long flag and a CASSEROLE_<NAME> variable; a flag replaces the variable
// (for lists too). Unknown flags and positional arguments are errors; unknown CASSEROLE_*
// variables and empty variables are ignored, so that a deployment template may leave some unset.
ParseResult parse_config(int argc, const char* const* argv,
                         const std::vector<std::string>& environment);

// The environment of the running process, as "NAME=value" strings.
std::vector<std::string> process_environment();

}  // namespace casserole::app
