#include "server/access_log.hpp"

#include <cstdio>
#include <ctime>
#include <string>

namespace casserole::server {

void AccessLog::record(std::string_view client, std::string_view method, std::string_view target,
                       const Exchange& exchange, std::chrono::steady_clock::duration took,
                       std::string_view failure) const {
  if (!enabled_) return;
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &utc);
  double ms = std::chrono::duration<double, std::milli>(took).count();
  char tail[96];
  std::snprintf(tail, sizeof tail, "\" %u %llu %.1fms ", exchange.status(),
                static_cast<unsigned long long>(exchange.body_bytes()), ms);
  std::string line;
  line.append(when).append(" ").append(client).append(" \"").append(method).append(" ");
  line.append(target).append(tail);
  line.append(exchange.source().empty() ? "-" : exchange.source());
  if (!failure.empty()) line.append(" \"").append(failure).append("\"");
  line.append("\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace casserole::server
