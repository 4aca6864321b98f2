#pragma once

#include <string>
#include <string_view>

// What a client's request target means (RFC 9112 §3.2.1 origin-form, RFC 3986 §6.2.2), decided
// once where requests are parsed: the cache key and the upstream path are then the same string,
// and no target reaches outside the mirrored root.
namespace casserole::http {

// Either a target in normal form or why the client's target was refused; exactly one is set.
struct NormalTarget {
  std::string target;
  std::string_view refusal;
};

// The path is put in normal form: percent-escapes of unreserved characters decoded, every other
// escape in upper case, dot segments removed (RFC 3986 §5.2.4). The query is kept as sent.
// Refused: a target that is not an absolute path, a malformed escape, a path that would climb
// above the root, and what an upstream could read as another path than this one (an encoded
// slash, a backslash, NUL, a dot segment with parameters such as "..;"). Normalising a normal
// target changes nothing.
NormalTarget normalize_target(std::string_view target);

}  // namespace casserole::http
