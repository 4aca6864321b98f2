// CachePolicy: what the operator declares about freshness (--min-ttl, --default-ttl, --ttl,
// --immutable) and about an object's identity (--cache-key-ignore-query), and StoreRules, the
// part of it that applies to one path. ObjectMeta reads the
// rules with the upstream's answer; the answer still decides what must never be stored.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace casserole::upstream {

struct StoreRules {
  // Shortest remaining freshness worth storing.
  std::chrono::seconds min_ttl{60};
  // The lifetime of an answer that states none and gives nothing to guess one from.
  std::chrono::seconds default_ttl{0};
  // The operator's lifetime for this path, in place of what the answer says.
  std::optional<std::chrono::seconds> ttl{};
  // The path's bytes never change: cached without a validator, in any number of segments,
  // and never revalidated.
  bool immutable = false;
  // An object this small is fetched in one answer, which cannot mix versions: it needs no
  // validator.
  std::uint64_t one_answer_size = 0;
};

struct CachePolicy {
  struct PathTtl {
    std::string glob;  // http/path_glob.hpp
    std::chrono::seconds ttl;
  };

  std::chrono::seconds min_ttl{60};
  std::chrono::seconds default_ttl{0};
  std::vector<PathTtl> ttl{};  // the first match wins
  std::vector<std::string> immutable{};
  // Query parameter names (globs) that do not make another object: a presigned URL's signature
  // and expiry. They still go upstream as the client sent them.
  std::vector<std::string> ignored_query{};
  std::uint64_t segment_size = 2 * 1024 * 1024;

  StoreRules rules_for(std::string_view target) const;
  // The target as the cache names the object: without the ignored query parameters, the others
  // in their order, and no '?' when none is left. append_key_of adds it to `out`, which keys
  // built in place need (a temporary per key showed in the small-response profile).
  std::string key_of(std::string_view target) const;
  void append_key_of(std::string_view target, std::string& out) const;
};

}  // namespace casserole::upstream
