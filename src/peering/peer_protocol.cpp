#include "peering/peer_protocol.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <charconv>
#include <vector>

namespace casserole::peering {
namespace {

constexpr std::string_view kMetaPath = "/_casserole/meta";
constexpr std::string_view kSegmentPath = "/_casserole/segment";

}  // namespace

std::string request_target(const PeerRequest& request) {
  boost::urls::url url;
  url.set_path(request.kind == PeerRequest::Kind::meta ? kMetaPath : kSegmentPath);
  url.params().append({"target", request.target});
  if (request.kind == PeerRequest::Kind::segment) {
    url.params().append({"index", std::to_string(request.index)});
  }
  if (request.scope == Scope::stored) url.params().append({"scope", "stored"});
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
  } else {
    return std::nullopt;
  }
  bool has_target = false;
  bool has_index = false;
  for (auto param : url->params()) {
    if (param.key == "target" && !has_target && param.has_value && param.value.starts_with('/')) {
      request.target = param.value;
      has_target = true;
    } else if (param.key == "index" && !has_index && param.has_value) {
      const char* end = param.value.data() + param.value.size();
      auto [ptr, ec] = std::from_chars(param.value.data(), end, request.index);
      if (ec != std::errc() || ptr != end) return std::nullopt;
      has_index = true;
    } else if (param.key == "scope" && param.value == "stored") {
      request.scope = Scope::stored;
    } else {
      return std::nullopt;
    }
  }
  if (!has_target || has_index != (request.kind == PeerRequest::Kind::segment)) return std::nullopt;
  return request;
}

std::string encode_base64(std::string_view bytes) {
  std::string text(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  text.resize(static_cast<std::size_t>(n));
  return text;
}

std::optional<std::string> decode_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string bytes(3 * (text.size() / 4), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes of output.
  std::size_t padding = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
  bytes.resize(static_cast<std::size_t>(n) - padding);
  return bytes;
}

bool secret_matches(std::string_view expected, std::string_view given) {
  return expected.size() == given.size() &&
         CRYPTO_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

}  // namespace casserole::peering
