#include "support/object_spec.hpp"

#include <boost/json.hpp>
#include <limits>
#include <stdexcept>

namespace casserole::test {
namespace {

namespace json = boost::json;

constexpr std::int64_t kMaxInteger = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMaxDelayMs = 10 * 60 * 1000;

std::int64_t integer_field(const json::object& spec, std::string_view name, std::int64_t fallback,
                           std::int64_t min, std::int64_t max) {
  const json::value* value = spec.if_contains(name);
  if (value == nullptr) return fallback;
  const std::int64_t* number = value->if_int64();
  if (number == nullptr || *number < min || *number > max) {
    throw std::invalid_argument(std::string(name) + " must be an integer in [" +
                                std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return *number;
}

bool bool_field(const json::object& spec, std::string_view name, bool fallback) {
  const json::value* value = spec.if_contains(name);
  if (value == nullptr) return fallback;
  if (!value->is_bool()) throw std::invalid_argument(std::string(name) + " must be a boolean");
  return value->get_bool();
}

// -1 is the JSON spelling of "never".
std::int64_t optional_count_to_json(const std::optional<std::uint64_t>& count) {
  return count ? static_cast<std::int64_t>(*count) : -1;
}

std::optional<std::uint64_t> optional_count(const json::object& spec, std::string_view name) {
  const std::int64_t count = integer_field(spec, name, -1, -1, kMaxInteger);
  return count < 0 ? std::nullopt : std::optional<std::uint64_t>(count);
}

std::string string_field(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : "";
}

json::object headers_to_json(const std::vector<std::pair<std::string, std::string>>& headers) {
  json::object out;
  for (const auto& [name, value] : headers) out[name] = value;
  return out;
}

std::vector<std::pair<std::string, std::string>> headers_field(const json::object& spec,
                                                               std::string_view name) {
  std::vector<std::pair<std::string, std::string>> out;
  const json::value* headers = spec.if_contains(name);
  if (headers == nullptr) return out;
  if (!headers->is_object()) throw std::invalid_argument(std::string(name) + " must be an object");
  for (const auto& [field, value] : headers->get_object()) {
    if (!value.is_string()) throw std::invalid_argument("header values must be strings");
    out.emplace_back(field, value.get_string());
  }
  return out;
}

}  // namespace

std::string to_json(const ObjectSpec& spec) {
  json::array interim;
  for (int status : spec.interim) interim.push_back(status);
  return json::serialize(json::object{
      {"size", spec.size},
      {"seed", spec.seed},
      {"headers", headers_to_json(spec.headers)},
      {"get_headers", headers_to_json(spec.get_headers)},
      {"interim", std::move(interim)},
      {"status", spec.status},
      {"head_status", spec.head_status},
      {"required_query", spec.required_query},
      {"honor_range", spec.honor_range},
      {"head_content_length", spec.head_content_length},
      {"chunked", spec.chunked},
      {"first_byte_delay_ms", spec.first_byte_delay.count()},
      {"head_delay_ms", spec.head_delay.count()},
      {"bytes_per_second", spec.bytes_per_second},
      {"stall_after_bytes", optional_count_to_json(spec.stall_after_bytes)},
      {"close_after_bytes", optional_count_to_json(spec.close_after_bytes)},
      {"change_after_gets", spec.change_after_gets},
      {"changed_size", optional_count_to_json(spec.changed_size)},
  });
}

ObjectSpec parse_object_spec(std::string_view text) {
  const json::value document = json::parse(text);
  const json::object* spec = document.if_object();
  if (spec == nullptr) throw std::invalid_argument("the spec must be a JSON object");
  if (!spec->contains("size")) throw std::invalid_argument("size is required");
  ObjectSpec result;
  result.size = integer_field(*spec, "size", 0, 0, kMaxInteger);
  result.seed = integer_field(*spec, "seed", 1, 0, kMaxInteger);
  result.headers = headers_field(*spec, "headers");
  result.get_headers = headers_field(*spec, "get_headers");
  if (const json::value* interim = spec->if_contains("interim")) {
    if (!interim->is_array()) throw std::invalid_argument("interim must be an array");
    for (const json::value& status : interim->get_array()) {
      const std::int64_t* number = status.if_int64();
      if (number == nullptr || *number < 100 || *number > 199 || *number == 101) {
        throw std::invalid_argument("interim statuses must be 1xx other than 101");
      }
      result.interim.push_back(static_cast<int>(*number));
    }
  }
  result.status = static_cast<int>(integer_field(*spec, "status", 200, 200, 599));
  result.head_status = static_cast<int>(integer_field(*spec, "head_status", 0, 0, 599));
  result.required_query = string_field(*spec, "required_query");
  result.honor_range = bool_field(*spec, "honor_range", true);
  result.head_content_length = bool_field(*spec, "head_content_length", true);
  result.chunked = bool_field(*spec, "chunked", false);
  result.first_byte_delay =
      std::chrono::milliseconds(integer_field(*spec, "first_byte_delay_ms", 0, 0, kMaxDelayMs));
  result.head_delay =
      std::chrono::milliseconds(integer_field(*spec, "head_delay_ms", 0, 0, kMaxDelayMs));
  result.bytes_per_second = integer_field(*spec, "bytes_per_second", 0, 0, kMaxInteger);
  result.stall_after_bytes = optional_count(*spec, "stall_after_bytes");
  result.close_after_bytes = optional_count(*spec, "close_after_bytes");
  result.change_after_gets = integer_field(*spec, "change_after_gets", 0, 0, kMaxInteger);
  result.changed_size = optional_count(*spec, "changed_size");
  return result;
}

json::object to_json(const LoggedRequest& request) {
  return json::object{{"method", request.method},
                      {"target", request.target},
                      {"range", request.range},
                      {"if_match", request.if_match},
                      {"if_unmodified_since", request.if_unmodified_since},
                      {"if_none_match", request.if_none_match},
                      {"if_modified_since", request.if_modified_since},
                      {"authorization", request.authorization}};
}

LoggedRequest parse_logged_request(const json::value& value) {
  const json::object& object = value.as_object();
  return {.method = string_field(object, "method"),
          .target = string_field(object, "target"),
          .range = string_field(object, "range"),
          .if_match = string_field(object, "if_match"),
          .if_unmodified_since = string_field(object, "if_unmodified_since"),
          .if_none_match = string_field(object, "if_none_match"),
          .if_modified_since = string_field(object, "if_modified_since"),
          .authorization = string_field(object, "authorization")};
}

}  // namespace casserole::test
