#include "peering/peer_protocol.hpp"

#include <openssl/crypto.h>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <charconv>
#include <vector>

#include "http/request_target.hpp"

namespace casserole::peering {
namespace {

// A whole decimal count, nothing else.
bool parse_count(std::string_view text, std::uint64_t& into) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, into);
  return ec == std::errc() && ptr == end;
}

constexpr std::string_view kMetaPath = "/_casserole/meta";
constexpr std::string_view kSegmentPath = "/_casserole/segment";
constexpr std::string_view kMembersPath = "/_casserole/members";

// Client targets may hold '+', which must come back as '+', not as a space.
const boost::urls::encoding_opts kLiteralPlus(false);

std::string_view path_of(PeerRequest::Kind kind) {
  switch (kind) {
    case PeerRequest::Kind::meta:
      return kMetaPath;
    case PeerRequest::Kind::segment:
      return kSegmentPath;
    case PeerRequest::Kind::members:
      return kMembersPath;
  }
  return {};
}

}  // namespace

std::string request_target(const PeerRequest& request) {
  boost::urls::url url;
  url.set_path(path_of(request.kind));
  if (request.kind == PeerRequest::Kind::members) return std::string(url.buffer());
  auto params = url.params(kLiteralPlus);
  params.append({"target", request.target});
  if (request.kind == PeerRequest::Kind::segment) {
    params.append({"index", std::to_string(request.index)});
    params.append({"segment-size", std::to_string(request.segment_size)});
  }
  if (request.scope == Scope::stored) params.append({"scope", "stored"});
  return std::string(url.buffer());
}

std::optional<PeerRequest> parse_request_target(std::string_view target) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return std::nullopt;
  PeerRequest request;
  if (url->encoded_path() == kMetaPath) {
    request.kind = PeerRequest::Kind::meta;
  } else if (url->encoded_path() == kSegmentPath) {
    request.kind = PeerRequest::Kind::segment;
  } else if (url->encoded_path() == kMembersPath) {
    request.kind = PeerRequest::Kind::members;
    if (url->has_query()) return std::nullopt;
    return request;
  } else {
    return std::nullopt;
  }
  bool has_target = false;
  bool has_index = false;
  bool has_size = false;
  for (auto param : url->params(kLiteralPlus)) {
    // Only a target in normal form, as a client's is once admitted: a peer request must not
    // reach outside the mirrored root either.
    if (param.key == "target" && !has_target && param.has_value &&
        http::normalize_target(param.value).target == param.value) {
      request.target = param.value;
      has_target = true;
    } else if (param.key == "index" && !has_index && param.has_value) {
      if (!parse_count(param.value, request.index)) return std::nullopt;
      has_index = true;
    } else if (param.key == "segment-size" && !has_size && param.has_value) {
      if (!parse_count(param.value, request.segment_size) || request.segment_size == 0) {
        return std::nullopt;
      }
      has_size = true;
    } else if (param.key == "scope" && param.value == "stored") {
      request.scope = Scope::stored;
    } else {
      return std::nullopt;
    }
  }
  const bool segment = request.kind == PeerRequest::Kind::segment;
  if (!has_target || has_index != segment || has_size != segment) return std::nullopt;
  return request;
}

bool secret_matches(std::string_view expected, std::string_view given) {
  return expected.size() == given.size() &&
         CRYPTO_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

}  // namespace casserole::peering
