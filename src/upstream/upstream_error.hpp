// UpstreamError: why the upstream could not give an answer. The kind decides what a client is
// told: an unreachable or misbehaving upstream is a 502, a slow one a 504.
#pragma once

#include <stdexcept>
#include <string>

namespace casserole::upstream {

class UpstreamError : public std::runtime_error {
 public:
  enum class Kind { unreachable, timeout, protocol };
  UpstreamError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

}  // namespace casserole::upstream
