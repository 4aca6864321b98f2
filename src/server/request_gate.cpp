#include "server/request_gate.hpp"

#include <boost/url/parse.hpp>
#include <optional>

#include "http/header_util.hpp"
#include "http/request_target.hpp"

namespace casserole::server {
namespace http = boost::beast::http;
namespace {

Admission refuse(unsigned status, std::string_view why) {
  return Admission{{}, status, why};
}

std::optional<Admission> check_framing(const http::request_header<>& request) {
  auto [first, last] = request.equal_range(http::field::transfer_encoding);
  if (first == last) return std::nullopt;
  if (request.version() < 11) return refuse(400, "Transfer-Encoding in an HTTP/1.0 request");
  std::string joined;
  for (auto it = first; it != last; ++it)
    joined.append(joined.empty() ? "" : ", ").append(it->value());
  const auto codings = casserole::http::split_list(joined);
  if (codings.empty() || !casserole::http::iequals(codings.back(), "chunked")) {
    return refuse(400, "the body's length is unknown: its last transfer coding is not chunked");
  }
  for (std::size_t i = 0; i + 1 < codings.size(); ++i) {
    if (casserole::http::iequals(codings[i], "chunked")) {
      return refuse(400, "the body is chunked more than once");
    }
  }
  if (codings.size() > 1) return refuse(501, "transfer codings other than chunked");
  return std::nullopt;
}

// RFC 9112 §3.2: uri-host [ ":" port ], possibly empty.
bool valid_host(std::string_view host) {
  if (host.empty()) return true;
  auto authority = boost::urls::parse_authority(host);
  return authority && !authority->has_userinfo();
}

std::optional<Admission> check_host(const http::request_header<>& request) {
  const std::size_t hosts = request.count(http::field::host);
  if (hosts > 1) return refuse(400, "more than one Host field");
  if (hosts == 0) {
    if (request.version() >= 11) return refuse(400, "no Host field");
    return std::nullopt;
  }
  if (!valid_host(request[http::field::host])) return refuse(400, "an invalid Host field");
  return std::nullopt;
}

}  // namespace

Admission admit(const http::request_header<>& request) {
  if (auto refused = check_framing(request)) return *refused;
  if (auto refused = check_host(request)) return *refused;
  auto target = casserole::http::normalize_target(request.target());
  if (!target.refusal.empty()) return refuse(400, target.refusal);
  return Admission{std::move(target.target)};
}

}  // namespace casserole::server
