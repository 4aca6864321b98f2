#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace casserole::app {

// Byte sizes: decimal digits with an optional K, M, G or T suffix in powers of 1024, which may
// be followed by B or iB, in any case ("4096", "100M", "100mb", "1GiB"; a bare "B" means bytes).
// Fractions, signs, spaces and values beyond 2^64-1 are rejected (nullopt).
// format_size() gives the shortest text parse_size() reads back exactly ("100M", "1G", "1500").
std::optional<std::uint64_t> parse_size(std::string_view text);
std::string format_size(std::uint64_t bytes);

// Durations: decimal digits with an optional ms, s, m, h or d suffix, in any case; a bare number
// is seconds ("500ms", "30s", "5m", "1h", "60"). Fractions, signs and overflow are rejected.
// format_duration() writes whole hours as "h", whole seconds as "s", anything else as "ms".
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
// "GLOB=DURATION" (--ttl): a path glob (starting with / or *) and whole seconds above zero; the
// last '=' separates them, so a glob may hold one.
std::optional<std::pair<std::string, std::chrono::seconds>> parse_path_ttl(std::string_view text);
std::string format_duration(std::chrono::milliseconds duration);

// Booleans: true/false, 1/0, yes/no, on/off, in any case.
std::optional<bool> parse_bool(std::string_view text);

// Counts: plain decimal digits that fit in 64 bits.
std::optional<std::uint64_t> parse_count(std::string_view text);

// Splits a comma-separated list, trimming spaces around each item and dropping empty items, so
// that "a, b,,c," is {"a", "b", "c"}.
std::vector<std::string> split_list(std::string_view text);

// A listening address: "host:port", "[ipv6]:port" or "1.2.3.4:port", parsed as a URL authority
// with Boost.URL. The host is required (use 0.0.0.0 or [::] for every interface), the port must
// be 1..65535, and user info is rejected. IPv6 hosts are returned without brackets.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};
std::optional<HostPort> parse_host_port(std::string_view text);
std::string format_host_port(const HostPort& address);

// An http:// or https:// URL with a host, parsed with Boost.URL: user info, query, fragment and
// empty or zero ports are rejected. Returns the URL with the trailing slashes of its path
// removed, so that appending a request path ("/x") never doubles a slash.
std::optional<std::string> parse_http_url(std::string_view text);

}  // namespace casserole::app
