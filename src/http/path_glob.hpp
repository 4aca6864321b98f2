// How an operator names paths (--passthrough, --ttl, --immutable): a shell glob (fnmatch) matched
// against the request path without its query, where '*' also matches '/', so "/pool/*" covers a
// whole subtree.
#pragma once

#include <string>
#include <string_view>

namespace casserole::http {

bool path_matches(const std::string& glob, std::string_view target);

}  // namespace casserole::http
