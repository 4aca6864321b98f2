// The benchmark's clients, none of them sharing code with Casserole: libcurl (test::HttpClient)
// for downloads checked by digest, the curl CLI for timed downloads, wrk for many small requests.
//
// Timed curl downloads go to /dev/null: a client hashing what it receives would be slower than
// the caches it measures, so their bytes are checked by separate digest-checked downloads. Any
// failed transfer, wrong status, wrong size or wrong digest throws BenchFailure. Not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

namespace casserole::bench {

// The benchmark measured nothing trustworthy: a wrong or missing byte, a failed transfer.
struct BenchFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// An object on the origin: its URL path and the digest of its bytes.
struct Content {
  std::string path;
  std::uint64_t size = 0;
  std::string sha256;
};

// GET base_url + content.path, checked against the content's size and digest; the response
// (without its body) tells the transfer's times.
test::Response checked_get(test::HttpClient& client, const std::string& base_url,
                           const Content& content);

struct TimedDownload {
  double seconds = 0;  // curl's own time_total: process start-up not included
  std::string source;  // X-Casserole-Source, empty from nginx
};

struct ConcurrentDownloads {
  double wall_seconds = 0;  // from the first client's start to the last one's exit
  std::vector<std::string> sources;
};

struct WrkFigures {
  double requests_per_second = 0;
  double p99_ms = 0;
};

class Clients {
 public:
  // One curl download of the content to /dev/null.
  TimedDownload curl(const std::string& base_url, const Content& content);

  // `count` curl downloads from each of `base_urls`, all started at once.
  ConcurrentDownloads curl_concurrently(const std::vector<std::string>& base_urls,
                                        const Content& content, int count);

  // wrk with `connections` connections for `seconds`, each request for the next of `paths` in
  // turn. Any response but 2xx/3xx, or any socket error, is a failure.
  WrkFigures wrk(const std::string& base_url, const std::vector<std::string>& paths,
                 int connections, int seconds);

 private:
  std::filesystem::path fresh_log(const std::string& name) const;

  test::TempDir scratch_;
};

}  // namespace casserole::bench
