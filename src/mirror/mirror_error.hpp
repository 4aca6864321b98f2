// Errors of the mirror that a response must react to differently from a plain upstream failure.
#pragma once

#include <stdexcept>

namespace casserole::mirror {

// The upstream's object is no longer the version being served: never splice two versions.
class ObjectChanged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The upstream's answer to a segment's ranged GET shows the object cannot be served from the
// cache after all (the whole object instead of the range; private, no-store or Set-Cookie on the
// part): serve it by streaming through.
class NotCacheable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The memory bound left no room for a segment within the wait allowed.
class MemoryExhausted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace casserole::mirror
