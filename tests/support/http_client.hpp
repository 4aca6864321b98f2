// The tests' own HTTP/1.1 client (libcurl), independent of Casserole's HTTP code.
//
// An HttpClient keeps one libcurl handle, so consecutive requests to the same host reuse a
// kept-alive connection; connections_opened() counts the connections it had to open. Requests
// are sent as given: no proxy, no redirects followed, no content decoding. A transfer error is
// reported in Response::curl_code / error, never thrown. Not thread-safe: one per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace casserole::test {

// A request body generated from the pattern (see pattern.hpp), for uploads too big to hold.
struct PatternBody {
  std::uint64_t seed = 1;
  std::uint64_t size = 0;
};

// Every member has an initializer, so designated initializers may name only what a request
// needs ({.url = u, .headers = {"Range: bytes=0-9"}}).
struct Request {
  std::string method = "GET";
  std::string url{};
  std::vector<std::string> headers{};  // "Name: value"; "Name:" removes a header curl would add
  std::optional<std::string> body{};   // sent with Content-Length, for any method
  std::optional<PatternBody> pattern_body{};  // used when `body` is not set
  bool keep_body = true;                      // false: only body_size and body_sha256 are kept
  // Ends the transfer (curl_code CURLE_WRITE_ERROR) once this many body bytes have arrived.
  std::optional<std::uint64_t> abort_after_bytes{};
  // Reads no faster than this many bytes per second; 0: as fast as it can.
  std::uint64_t max_bytes_per_second = 0;
  long timeout_ms = 30000;
  std::string ca_file{};  // trust anchors for https; empty: the system's
};

struct Response {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers{};  // of the final response
  std::string body{};
  std::uint64_t body_size = 0;
  std::string body_sha256{};
  double seconds_to_first_byte = 0;
  double seconds_total = 0;
  int curl_code = 0;
  std::string error{};

  // Case-insensitive; "" if absent. Repeated headers: the first.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

class HttpClient {
 public:
  HttpClient();
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  ~HttpClient();

  Response perform(const Request& request);
  long connections_opened() const { return connections_opened_; }

 private:
  struct Handle;
  std::unique_ptr<Handle> handle_;
  long connections_opened_ = 0;
};

// One GET on a fresh client.
Response http_get(const std::string& url, std::vector<std::string> headers = {});

}  // namespace casserole::test
