// AccessLog: one line per exchange on stderr, written whole so lines from concurrent exchanges
// never interleave: time, client, method, target, status, body bytes, duration, byte source, and
// for a failed exchange what failed, in detail (the client is told only its side of it).
#pragma once

#include <chrono>
#include <string_view>

#include "server/exchange.hpp"

namespace casserole::server {

class AccessLog {
 public:
  explicit AccessLog(bool enabled) : enabled_(enabled) {}
  void record(std::string_view client, std::string_view method, std::string_view target,
              const Exchange& exchange, std::chrono::steady_clock::duration took,
              std::string_view failure = {}) const;

 private:
  bool enabled_;
};

}  // namespace casserole::server
