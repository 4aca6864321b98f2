// The peering protocol: what one node asks another over its peering listener. Three GETs:
//   /_casserole/meta?target=T             -> 200, the object's metadata record (JSON)
//   /_casserole/segment?target=T&index=N&segment-size=S
//                                         -> 200, the segment's bytes, streamed as they arrive;
//       X-Casserole-Meta carries the asker's metadata record (base64), so the asked node needs
//       no lookup of its own and serves exactly the version the asker serves; 412 when that
//       version is gone upstream; 409 when the asked node cuts objects into segments of another
//       size than S, whose segment N would be other bytes.
//   /_casserole/members                   -> 200, the node's view of the cluster (JSON), for
//       operators and tests.
// `&scope=stored` asks only for what the node holds (404 when it holds nothing); without it the
// node may fetch from the upstream itself. The asked node never asks a third node on a peer's
// behalf except for a stored copy, which cannot ask further: a request travels one hop.
// With a cluster secret every request carries it in X-Casserole-Secret. A 412 that carries
// X-Casserole-Not-Cacheable says the asked node found the object not cacheable when it fetched
// the segment (the field says why): the asker serves it by streaming through.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace casserole::peering {

inline constexpr std::string_view kSecretField = "X-Casserole-Secret";
inline constexpr std::string_view kMetaField = "X-Casserole-Meta";
// Set on a 502 or 504 that the asked node's own upstream request caused ("timeout" or
// "failed"): the upstream failed, not the peer, so the asker passes the failure on instead of
// suspecting the peer.
inline constexpr std::string_view kUpstreamFailedField = "X-Casserole-Upstream-Failed";
inline constexpr std::string_view kNotCacheableField = "X-Casserole-Not-Cacheable";

// How far the asked node may go for what it lacks.
enum class Scope { fetch, stored };

struct PeerRequest {
  enum class Kind { meta, segment, members };
  Kind kind = Kind::meta;
  std::string target;  // the client's request target, as the mirror keys it
  std::uint64_t index = 0;
  Scope scope = Scope::fetch;
  std::uint64_t segment_size = 0;  // the asker's, for a segment; never 0 there
};

std::string request_target(const PeerRequest& request);
// nullopt for anything that is not a well-formed peering request, one whose target is not in
// normal form (http/request_target.hpp) included.
std::optional<PeerRequest> parse_request_target(std::string_view target);

// In constant time, so that the secret cannot be guessed byte by byte from response times.
bool secret_matches(std::string_view expected, std::string_view given);

}  // namespace casserole::peering
