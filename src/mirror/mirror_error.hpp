// Errors of the mirror that a response must react to differently from a plain upstream failure.
#pragma once

#include <stdexcept>

namespace casserole::mirror {

// The upstream's object is no longer the version being served: never splice two versions.
class ObjectChanged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The upstream answered a ranged GET with the whole object: serve it by streaming through.
class RangesIgnored : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The memory bound left no room for a segment within the wait allowed.
class MemoryExhausted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace casserole::mirror
