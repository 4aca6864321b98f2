// ResponsePlan: what to answer a GET or HEAD for a cached object, decided from the object's
// metadata and the request's conditional and Range fields alone (RFC 9110 §13-14): the status,
// the header fields, and the body as byte ranges of the object, each behind an optional
// multipart prefix. Knows nothing of sockets or segments; the handler streams the plan.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "upstream/header_list.hpp"
#include "upstream/object_meta.hpp"

namespace casserole::server {

struct RequestFacts {
  bool head = false;
  std::string_view range, if_range, if_match, if_none_match, if_modified_since, if_unmodified_since;
};

struct ResponsePlan {
  struct Part {
    std::string prefix;  // multipart boundary and part header; empty for a single-part body
    std::uint64_t first = 0;
    std::uint64_t last = 0;  // inclusive
  };
  unsigned status = 200;
  upstream::HeaderList headers;  // the stored Date among them; not the source field
  std::vector<Part> parts;       // empty for HEAD, 304, 412, 416 and empty objects
  std::string epilogue;          // multipart closing delimiter
};

// `boundary` separates multipart parts; callers pass a fresh random token.
ResponsePlan plan_response(const upstream::ObjectMeta& meta, const RequestFacts& request,
                           std::chrono::system_clock::time_point now, std::string_view boundary);

}  // namespace casserole::server
