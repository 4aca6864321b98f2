#include "server/access_log.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <ctime>
#include <string>

namespace casserole::server {
namespace {

double milliseconds(std::chrono::steady_clock::duration took) {
  return std::chrono::duration<double, std::milli>(took).count();
}

}  // namespace

void AccessLog::record(std::string_view client, std::string_view method, std::string_view target,
                       const Exchange& exchange, std::chrono::steady_clock::duration took,
                       std::string_view failure) const {
  if (!enabled_) return;
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &utc);
  std::string line;
  if (format_ == Format::json) {
    const auto first_byte = exchange.time_to_first_byte();
    boost::json::object entry{
        {"time", when},
        {"client", client},
        {"method", method},
        {"target", target},
        {"status", exchange.status()},
        {"bytes", exchange.body_bytes()},
        {"duration_ms", milliseconds(took)},
        {"ttfb_ms", first_byte ? boost::json::value(milliseconds(*first_byte)) : nullptr},
        {"cache", casserole::http::to_string(exchange.cache_status().kind())},
        {"cache_status", exchange.cache_status().field_value()},
        {"source", exchange.source()},
        {"range", exchange.field("Range")},
        {"upstream_requests", exchange.trace().upstream_requests},
        {"peer_requests", exchange.trace().peer_requests},
    };
    if (!failure.empty()) entry["error"] = failure;
    line = boost::json::serialize(entry);
  } else {
    char tail[96];
    std::snprintf(tail, sizeof tail, "\" %u %llu %.1fms ", exchange.status(),
                  static_cast<unsigned long long>(exchange.body_bytes()), milliseconds(took));
    line.append(when).append(" ").append(client).append(" \"").append(method).append(" ");
    line.append(target).append(tail);
    line.append(exchange.source().empty() ? "-" : exchange.source());
    if (!failure.empty()) line.append(" \"").append(failure).append("\"");
  }
  line.append("\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace casserole::server
