#include "server/route.hpp"

#include <fnmatch.h>

namespace casserole::server {

Route route(const RouteFacts& request, const std::vector<std::string>& passthrough_patterns) {
  if (request.method != "GET" && request.method != "HEAD") return Route::passthrough;
  if (request.has_authorization || request.has_body) return Route::passthrough;
  std::string path(request.target.substr(0, request.target.find('?')));
  for (const auto& pattern : passthrough_patterns) {
    if (fnmatch(pattern.c_str(), path.c_str(), 0) == 0) return Route::passthrough;
  }
  return Route::mirror;
}

}  // namespace casserole::server
