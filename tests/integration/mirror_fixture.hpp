// Test rigs: a Casserole node in front of a real upstream (nginx, or the scriptable fault
// origin), each on its own loopback ports, and helpers to check what crossed the upstream link.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "support/casserole_node.hpp"
#include "support/fault_origin.hpp"
#include "support/http_client.hpp"
#include "support/nginx_origin.hpp"
#include "support/pattern.hpp"
#include "support/raw_connection.hpp"

namespace casserole::test {

inline constexpr std::uint64_t kMiB = 1024 * 1024;

// The disk tier stays off unless a test's flags set --disk-cache-enabled (repeating an option is
// an error): every other test is about memory and the upstream.
inline std::vector<std::string> with(std::vector<std::string> flags, const std::string& upstream) {
  const bool sets_disk = std::ranges::any_of(
      flags, [](const std::string& flag) { return flag.starts_with("--disk-cache-enabled"); });
  flags.push_back("--mirror-url=" + upstream);
  if (!sets_disk) flags.push_back("--disk-cache-enabled=false");
  return flags;
}

// Casserole in front of nginx serving pattern files.
struct NginxMirror {
  explicit NginxMirror(std::vector<std::string> flags = {"--segment-size=1M"},
                       NginxOrigin::Options options = {})
      : origin(options), node(with(std::move(flags), origin.url())) {}

  // Puts a pattern file on the origin; returns its path for requests.
  std::string put(const std::string& name, std::uint64_t seed, std::uint64_t size) {
    write_pattern_file(origin.docroot() / name, seed, size);
    return "/" + name;
  }
  std::string url(const std::string& path) const { return node.url() + path; }

  // Upstream requests for `uri` with the given method, once nginx has logged `at_least` lines.
  std::vector<AccessLogEntry> upstream_requests(const std::string& uri, const std::string& method,
                                                std::size_t at_least = 0) const {
    std::vector<AccessLogEntry> out;
    for (const auto& entry : origin.wait_for_access_log(at_least)) {
      if (entry.uri == uri && entry.method == method) out.push_back(entry);
    }
    return out;
  }

  NginxOrigin origin;
  CasseroleNode node;
};

// Casserole in front of the fault origin.
struct FaultMirror {
  explicit FaultMirror(std::vector<std::string> flags = {"--segment-size=1M"})
      : node(with(std::move(flags), origin.url())) {}

  std::string url(const std::string& path) const { return node.url() + path; }
  std::vector<LoggedRequest> requests(const std::string& target, const std::string& method) {
    std::vector<LoggedRequest> out;
    for (auto& request : origin.requests()) {
      if (request.target == target && request.method == method) out.push_back(request);
    }
    return out;
  }

  FaultOrigin origin;
  CasseroleNode node;
};

// A GET whose body is only digested: the objects in these tests are megabytes.
inline Response get(const std::string& url, std::vector<std::string> headers = {}) {
  HttpClient client;
  return client.perform(Request{.url = url, .headers = std::move(headers), .keep_body = false});
}

inline std::vector<std::pair<std::string, std::string>> cacheable_headers(
    const std::string& etag = "\"v1\"") {
  return {{"Cache-Control", "max-age=3600"},
          {"ETag", etag},
          {"Last-Modified", "Mon, 02 Nov 2026 10:00:00 GMT"},
          {"Content-Type", "application/octet-stream"}};
}

}  // namespace casserole::test
