#include "mirror/meta_record.hpp"

#include <boost/json.hpp>

namespace casserole::mirror {
namespace {

namespace json = boost::json;
using Clock = upstream::ObjectMeta::Clock;

std::int64_t to_ns(Clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
}

Clock::time_point from_ns(std::int64_t ns) {
  return Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ns)));
}

}  // namespace

std::string encode_meta_record(const upstream::ObjectMeta& meta) {
  json::array headers;
  for (const auto& [name, value] : meta.headers()) headers.push_back(json::array{name, value});
  json::object record{
      {"status", meta.status()},
      {"headers", std::move(headers)},
      {"request_time", to_ns(meta.request_time())},
      {"response_time", to_ns(meta.response_time())},
  };
  // A refusal (say, ranges found ignored) is not in the HEAD answer; peers must learn it too.
  if (!meta.cacheable()) record["refused"] = meta.not_cacheable_reason();
  return json::serialize(record);
}

std::optional<upstream::ObjectMeta> decode_meta_record(std::string_view bytes,
                                                       const upstream::StoreRules& rules) {
  boost::system::error_code ec;
  json::value record = json::parse(bytes, ec);
  if (ec || !record.is_object()) return std::nullopt;
  const json::object& object = record.get_object();
  const auto* status = object.if_contains("status");
  const auto* fields = object.if_contains("headers");
  const auto* request_time = object.if_contains("request_time");
  const auto* response_time = object.if_contains("response_time");
  if (!status || !status->is_int64() || status->get_int64() < 100 || status->get_int64() > 999 ||
      !fields || !fields->is_array() || !request_time || !request_time->is_int64() ||
      !response_time || !response_time->is_int64()) {
    return std::nullopt;
  }
  upstream::HeaderList headers;
  for (const json::value& field : fields->get_array()) {
    const json::array* pair = field.if_array();
    if (!pair || pair->size() != 2 || !(*pair)[0].is_string() || !(*pair)[1].is_string()) {
      return std::nullopt;
    }
    headers.emplace_back(std::string((*pair)[0].get_string()),
                         std::string((*pair)[1].get_string()));
  }
  auto meta = upstream::ObjectMeta::from_head(
      static_cast<unsigned>(status->get_int64()), std::move(headers),
      from_ns(request_time->get_int64()), from_ns(response_time->get_int64()), rules);
  if (const auto* refused = object.if_contains("refused")) {
    if (!refused->is_string()) return std::nullopt;
    if (meta.cacheable()) meta = meta.refused(std::string(refused->get_string()));
  }
  return meta;
}

}  // namespace casserole::mirror
