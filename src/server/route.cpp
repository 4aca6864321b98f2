#include "server/route.hpp"

#include "http/path_glob.hpp"

namespace casserole::server {

Route route(const RouteFacts& request, const std::vector<std::string>& passthrough_patterns) {
  if (request.method != "GET" && request.method != "HEAD") return Route::method;
  if (request.has_authorization) return Route::authorization;
  if (request.has_body) return Route::body;
  for (const auto& pattern : passthrough_patterns) {
    if (http::path_matches(pattern, request.target)) return Route::pattern;
  }
  return Route::mirror;
}

}  // namespace casserole::server
