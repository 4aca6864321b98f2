#include "server/route.hpp"

#include "http/path_glob.hpp"

namespace casserole::server {

Route route(const RouteFacts& request, const std::vector<std::string>& passthrough_patterns) {
  if (request.method != "GET" && request.method != "HEAD") return Route::passthrough;
  if (request.has_authorization || request.has_body) return Route::passthrough;
  for (const auto& pattern : passthrough_patterns) {
    if (http::path_matches(pattern, request.target)) return Route::passthrough;
  }
  return Route::mirror;
}

}  // namespace casserole::server
