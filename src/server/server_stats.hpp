// ServerStats: what one listener served, counted on the I/O thread as each exchange ends:
// requests by method, status class and cache status, body bytes by source, time to first byte,
// connections turned away. Fixed arrays and a fixed-bucket histogram: counting allocates nothing.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "http/cache_status.hpp"
#include "metrics/histogram.hpp"
#include "server/exchange.hpp"

namespace casserole::server {

struct ServerStats {
  enum class Method { get, head, post, put, delete_, options, patch, other, count };
  static constexpr int kMethods = static_cast<int>(Method::count);
  static constexpr int kCacheKinds = static_cast<int>(casserole::http::CacheStatus::Kind::count);

  // [method][status class 1-5, 0 for no status][cache kind]
  std::array<std::array<std::array<std::uint64_t, kCacheKinds>, 6>, kMethods> requests{};
  std::array<std::uint64_t, Exchange::kSources> sent_bytes{};
  metrics::Histogram first_byte_seconds;
  std::uint64_t accepted = 0;
  std::uint64_t turned_away = 0;      // beyond the connection limit: 503
  std::uint64_t closed_for_room = 0;  // idle connections closed to make room for new ones

  // `method`: as the request spelt it ("-" when it could not be parsed).
  void record(std::string_view method, const Exchange& exchange);
};

const char* to_string(ServerStats::Method method);
// The source names of Exchange::bytes_from()'s slots.
const char* source_name(int slot);

}  // namespace casserole::server
