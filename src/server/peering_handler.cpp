#include "server/peering_handler.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <optional>

#include "http/base64.hpp"
#include "mirror/meta_record.hpp"
#include "mirror/mirror_error.hpp"
#include "server/segment_body.hpp"
#include "upstream/upstream_error.hpp"

namespace casserole::server {
namespace http = boost::beast::http;
namespace {

mirror::Reach reach_of(peering::Scope scope) {
  return scope == peering::Scope::stored ? mirror::Reach::stored : mirror::Reach::owner;
}

std::string members_json(const cluster::Peers& peers) {
  boost::json::array members;
  boost::json::array suspects;
  for (const auto& member : peers.ring().members()) {
    members.emplace_back(member);
    if (peers.suspected(member)) suspects.emplace_back(member);
  }
  return boost::json::serialize(boost::json::object{
      {"self", peers.self()},
      {"members", std::move(members)},
      {"suspects", std::move(suspects)},
  });
}

// The metadata the asker serves, which pins the version this node must send; nullopt unless it
// is a cacheable object's and `index` is one of its segments.
std::optional<mirror::MetaPtr> asker_meta(const Exchange& exchange,
                                          const peering::PeerRequest& request,
                                          const mirror::MirrorOptions& options) {
  auto record = casserole::http::decode_base64(exchange.field(peering::kMetaField));
  if (!record) return std::nullopt;
  auto meta = mirror::decode_meta_record(*record, options.cache_policy.rules_for(request.target));
  if (!meta || !meta->cacheable() || !meta->length() ||
      request.index >= (*meta->length() + options.segment_size - 1) / options.segment_size) {
    return std::nullopt;
  }
  return std::make_shared<const upstream::ObjectMeta>(std::move(*meta));
}

// A 200 with a body of `length` bytes of `type`.
Exchange::Head ok_head(std::string_view type, std::uint64_t length) {
  return {200, {{"Content-Type", std::string(type)}, {"Content-Length", std::to_string(length)}}};
}

boost::asio::awaitable<void> send_json(Exchange& exchange, const std::string& body) {
  const Exchange::Head head = ok_head("application/json", body.size());
  exchange.hold_header(head);
  co_await exchange.write_body(body);
}

}  // namespace

boost::asio::awaitable<void> PeeringHandler::handle(Exchange& exchange) {
  if (!secret_.empty() &&
      !peering::secret_matches(secret_, exchange.field(peering::kSecretField))) {
    exchange.close_after();
    co_return co_await exchange.send_error(403, "peer requests must carry the cluster secret");
  }
  auto request = peering::parse_request_target(exchange.target());
  if (exchange.request().method() != http::verb::get || exchange.has_body() || !request) {
    exchange.close_after();
    co_return co_await exchange.send_error(400, "not a peering request");
  }
  // The failure kinds the asker must tell apart, decided here where they are known; the rest
  // (out of memory, a bug) become the Server's generic answers.
  std::optional<unsigned> status;
  std::string why;
  upstream::HeaderList fields;
  try {
    co_await answer(exchange, *request);
  } catch (const mirror::ObjectChanged& error) {
    if (exchange.header_sent()) throw;
    status = 412;
    why = error.what();
  } catch (const mirror::NotCacheable& error) {
    if (exchange.header_sent()) throw;
    status = 412;
    why = error.what();
    fields.emplace_back(peering::kNotCacheableField, error.what());
  } catch (const upstream::UpstreamError& error) {
    if (exchange.header_sent()) throw;
    const bool timeout = error.kind() == upstream::UpstreamError::Kind::timeout;
    status = timeout ? 504 : 502;
    why = error.what();
    // Tells the asker that its peer is not at fault.
    fields.emplace_back(peering::kUpstreamFailedField, timeout ? "timeout" : "failed");
  }
  if (status) co_await exchange.send_error(*status, why, fields);
}

boost::asio::awaitable<void> PeeringHandler::answer(Exchange& exchange,
                                                    const peering::PeerRequest& request) {
  switch (request.kind) {
    case peering::PeerRequest::Kind::meta:
      co_return co_await send_meta(exchange, request);
    case peering::PeerRequest::Kind::segment:
      co_return co_await send_segment(exchange, request);
    case peering::PeerRequest::Kind::members:
      co_return co_await send_members(exchange);
  }
}

boost::asio::awaitable<void> PeeringHandler::send_meta(Exchange& exchange,
                                                       const peering::PeerRequest& request) {
  mirror::MetaPtr meta = co_await directory_.lookup(request.target, reach_of(request.scope));
  if (!meta) co_return co_await exchange.send_error(404, "no metadata held for this object");
  const std::string record = mirror::encode_meta_record(*meta);
  co_await send_json(exchange, record);
}

boost::asio::awaitable<void> PeeringHandler::send_segment(Exchange& exchange,
                                                          const peering::PeerRequest& request) {
  if (request.segment_size != options_.segment_size) {
    co_return co_await exchange.send_error(
        409, "this node's segments are " + std::to_string(options_.segment_size) +
                 " bytes, the request's " + std::to_string(request.segment_size) +
                 ": every node needs the same --segment-size");
  }
  auto meta = asker_meta(exchange, request, options_);
  if (!meta) {
    exchange.close_after();
    co_return co_await exchange.send_error(
        400, "a segment request needs the object's cacheable metadata and an index within it");
  }
  const auto acquire = [&] {
    return segments_.acquire(request.target, *meta, request.index, reach_of(request.scope));
  };
  auto acquired = co_await acquire();
  if (!acquired.segment && !acquired.file) {
    co_return co_await exchange.send_error(404, "this segment is not held here");
  }
  // The header waits for the first byte, so that a fetch failing at once is still a status.
  co_await await_byte(acquired, 0);
  std::uint64_t length = length_of(acquired);
  exchange.sending_from(acquired.source);
  const Exchange::Head head = ok_head("application/octet-stream", length);
  exchange.hold_header(head);
  co_await server::send_segment(exchange, acquired, 0, length, segments_.memory(), acquire);
}

boost::asio::awaitable<void> PeeringHandler::send_members(Exchange& exchange) {
  const std::string view = members_json(peers_);
  co_await send_json(exchange, view);
}

}  // namespace casserole::server
