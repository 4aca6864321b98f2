// AccessLog: one line per exchange on stderr, written whole so lines from concurrent exchanges
// never interleave. Text: time, client, method, target, status, body bytes, duration, byte
// source, and for a failed exchange what failed, in detail (the client is told only its side of
// it). JSON (one object a line, for log pipelines): the same and the time to first byte, the
// Cache-Status, the Range asked for and the upstream and peer requests made for it.
#pragma once

#include <chrono>
#include <string_view>

#include "server/exchange.hpp"

namespace casserole::server {

class AccessLog {
 public:
  enum class Format { text, json };
  explicit AccessLog(bool enabled, Format format = Format::text)
      : enabled_(enabled), format_(format) {}
  void record(std::string_view client, std::string_view method, std::string_view target,
              const Exchange& exchange, std::chrono::steady_clock::duration took,
              std::string_view failure = {}) const;

 private:
  bool enabled_;
  Format format_;
};

}  // namespace casserole::server
