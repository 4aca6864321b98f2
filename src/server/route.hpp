// Routing: which requests the cache may answer. Only GET and HEAD without a body, without
// Authorization (SPEC: only unauthenticated requests are cached), on a path that no --passthrough
// pattern matches; everything else is passed through untouched.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace casserole::server {

// mirror, or why the request is passed through: its method, its Authorization, its body, a
// --passthrough pattern.
enum class Route { mirror, method, authorization, body, pattern };

struct RouteFacts {
  std::string_view method;
  std::string_view target;
  bool has_authorization = false;
  bool has_body = false;
};

// Patterns are path globs (http/path_glob.hpp).
Route route(const RouteFacts& request, const std::vector<std::string>& passthrough_patterns);

}  // namespace casserole::server
