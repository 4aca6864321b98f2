#include "cluster/etcd_protocol.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <charconv>

#include "http/base64.hpp"

namespace casserole::cluster::etcd {
namespace json = boost::json;
namespace {

[[noreturn]] void malformed(std::string_view what) {
  throw Error(Error::kMalformed, "malformed etcd answer: " + std::string(what));
}

// etcd writes int64s as strings (protobuf's JSON mapping); numbers are accepted too.
std::int64_t integer(const json::object& object, std::string_view name) {
  const json::value* field = object.if_contains(name);
  if (field == nullptr) return 0;
  if (const auto* number = field->if_int64()) return *number;
  const auto* digits = field->if_string();
  std::int64_t value = 0;
  if (digits != nullptr) {
    const char* end = digits->data() + digits->size();
    auto [stop, ec] = std::from_chars(digits->data(), end, value);
    if (ec == std::errc() && stop == end) return value;
  }
  malformed(std::string(name) + " is not an integer");
}

bool flag(const json::object& object, std::string_view name) {
  const json::value* field = object.if_contains(name);
  if (field == nullptr) return false;
  if (!field->is_bool()) malformed(std::string(name) + " is not a boolean");
  return field->get_bool();
}

const json::object* child(const json::object& object, std::string_view name) {
  const json::value* field = object.if_contains(name);
  if (field == nullptr) return nullptr;
  if (!field->is_object()) malformed(std::string(name) + " is not an object");
  return &field->get_object();
}

std::string text(const json::value& value) {
  if (!value.is_string()) malformed("a string was expected");
  return std::string(value.get_string());
}

// Both shapes the gateway uses for an error: a unary call's {"error":"...","code":N} and a
// stream's {"error":{"grpc_code":N,"message":"..."}}.
[[noreturn]] void throw_error(const json::object& answer) {
  const json::value& error = answer.at("error");
  if (const auto* details = error.if_object()) {
    const json::value* message = details->if_contains("message");
    throw Error(static_cast<int>(integer(*details, "grpc_code")),
                message ? text(*message) : std::string("etcd error"));
  }
  throw Error(static_cast<int>(integer(answer, "code")), text(error));
}

json::object parse_object(std::string_view answer) {
  boost::system::error_code ec;
  json::value value = json::parse(answer, ec);
  if (ec || !value.is_object()) malformed("not a JSON object");
  json::object& object = value.get_object();
  if (object.contains("error")) throw_error(object);
  return std::move(object);
}

// Streaming calls (keepalive, watch) wrap each message in "result".
json::object parse_result(std::string_view answer) {
  json::object outer = parse_object(answer);
  const json::object* result = child(outer, "result");
  if (result == nullptr) malformed("no result");
  return *result;
}

std::int64_t header_revision(const json::object& answer) {
  const json::object* header = child(answer, "header");
  return header ? integer(*header, "revision") : 0;
}

std::string bytes_of(const json::value& field) {
  auto bytes = http::decode_base64(text(field));
  if (!bytes) malformed("a key or value that is not base64");
  return std::move(*bytes);
}

KeyValue key_value(const json::object& kv) {
  const json::value* key = kv.if_contains("key");
  if (key == nullptr) malformed("a key-value without a key");
  const json::value* value = kv.if_contains("value");
  return KeyValue{.key = bytes_of(*key),
                  .value = value ? bytes_of(*value) : std::string(),
                  .mod_revision = integer(kv, "mod_revision")};
}

std::string lease_request(std::int64_t lease) {
  return json::serialize(json::object{{"ID", std::to_string(lease)}});
}

}  // namespace

std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  // Only 0xff bytes (or none): etcd reads "\0" as "to the end of the keyspace".
  if (end.empty()) return std::string(1, '\0');
  end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

std::string grant_request(std::int64_t ttl) {
  return json::serialize(json::object{{"TTL", std::to_string(ttl)}});
}

std::string keep_alive_request(std::int64_t lease) {
  return lease_request(lease);
}

std::string revoke_request(std::int64_t lease) {
  return lease_request(lease);
}

std::string put_request(std::string_view key, std::string_view value, std::int64_t lease) {
  return json::serialize(json::object{{"key", http::encode_base64(key)},
                                      {"value", http::encode_base64(value)},
                                      {"lease", std::to_string(lease)}});
}

std::string range_prefix_request(std::string_view prefix) {
  return json::serialize(json::object{{"key", http::encode_base64(prefix)},
                                      {"range_end", http::encode_base64(prefix_end(prefix))}});
}

std::string watch_prefix_request(std::string_view prefix, std::int64_t start_revision) {
  return json::serialize(json::object{
      {"create_request", json::object{{"key", http::encode_base64(prefix)},
                                      {"range_end", http::encode_base64(prefix_end(prefix))},
                                      {"start_revision", std::to_string(start_revision)}}}});
}

Lease parse_grant(std::string_view answer) {
  json::object object = parse_object(answer);
  Lease lease{.id = integer(object, "ID"), .ttl = integer(object, "TTL")};
  if (lease.id == 0 || lease.ttl <= 0) malformed("a lease without an ID or TTL");
  return lease;
}

std::int64_t parse_keep_alive(std::string_view answer) {
  return std::max<std::int64_t>(integer(parse_result(answer), "TTL"), 0);
}

std::int64_t parse_header_revision(std::string_view answer) {
  std::int64_t revision = header_revision(parse_object(answer));
  if (revision <= 0) malformed("no revision");
  return revision;
}

Range parse_range(std::string_view answer) {
  json::object object = parse_object(answer);
  Range range{.revision = header_revision(object), .kvs = {}};
  if (range.revision <= 0) malformed("no revision");
  if (const json::value* kvs = object.if_contains("kvs")) {
    if (!kvs->is_array()) malformed("kvs is not an array");
    for (const json::value& kv : kvs->get_array()) {
      if (!kv.is_object()) malformed("a key-value is not an object");
      range.kvs.push_back(key_value(kv.get_object()));
    }
  }
  return range;
}

WatchMessage parse_watch_message(std::string_view line) {
  json::object result = parse_result(line);
  WatchMessage message{.revision = header_revision(result),
                       .created = flag(result, "created"),
                       .canceled = flag(result, "canceled"),
                       .compact_revision = integer(result, "compact_revision"),
                       .events = {}};
  if (const json::value* events = result.if_contains("events")) {
    if (!events->is_array()) malformed("events is not an array");
    for (const json::value& event : events->get_array()) {
      if (!event.is_object()) malformed("an event is not an object");
      const json::object& fields = event.get_object();
      const json::object* kv = child(fields, "kv");
      if (kv == nullptr) malformed("an event without a key-value");
      // Protobuf's JSON leaves out default values, and PUT is the default event type.
      Event::Type type = Event::Type::put;
      if (const json::value* name = fields.if_contains("type")) {
        std::string type_name = text(*name);
        if (type_name == "DELETE") {
          type = Event::Type::remove;
        } else if (type_name != "PUT") {
          malformed("an event of type " + type_name);
        }
      }
      message.events.push_back(Event{.type = type, .kv = key_value(*kv)});
    }
  }
  return message;
}

}  // namespace casserole::cluster::etcd
