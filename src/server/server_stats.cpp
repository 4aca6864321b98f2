#include "server/server_stats.hpp"

namespace casserole::server {
namespace {

ServerStats::Method method_of(std::string_view method) {
  static constexpr std::string_view kNames[] = {"GET",    "HEAD",    "POST", "PUT",
                                                "DELETE", "OPTIONS", "PATCH"};
  for (int i = 0; i < static_cast<int>(std::size(kNames)); ++i) {
    if (method == kNames[i]) return static_cast<ServerStats::Method>(i);
  }
  return ServerStats::Method::other;
}

}  // namespace

void ServerStats::record(std::string_view method, const Exchange& exchange) {
  const unsigned status = exchange.status();
  const unsigned status_class = status >= 100 && status < 600 ? status / 100 : 0;
  ++requests[static_cast<int>(method_of(method))][status_class]
            [static_cast<int>(exchange.cache_status().kind())];
  for (int i = 0; i < Exchange::kSources; ++i) sent_bytes[i] += exchange.bytes_from()[i];
  if (auto took = exchange.time_to_first_byte()) first_byte_seconds.observe(*took);
}

const char* to_string(ServerStats::Method method) {
  static constexpr const char* kNames[] = {"GET",    "HEAD",    "POST",  "PUT",
                                           "DELETE", "OPTIONS", "PATCH", "other"};
  return kNames[static_cast<int>(method)];
}

const char* source_name(int slot) {
  static constexpr const char* kNames[] = {"memory", "disk", "peer", "upstream", "node"};
  return kNames[slot];
}

}  // namespace casserole::server
