#include "http/cache_control.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "http/header_util.hpp"

namespace casserole::http {
namespace {

// The argument of a directive with its quotes and \-escapes removed. An unterminated quoted
// string yields nullopt.
std::optional<std::string> unquote(std::string_view argument) {
  if (argument.empty() || argument.front() != '"') return std::string(argument);
  std::string text;
  for (std::size_t i = 1; i < argument.size(); ++i) {
    if (argument[i] == '"') {
      if (i + 1 != argument.size()) return std::nullopt;
      return text;
    }
    if (argument[i] == '\\' && i + 1 < argument.size()) ++i;
    text.push_back(argument[i]);
  }
  return std::nullopt;
}

// Records a delta-seconds directive: an invalid argument becomes `invalid_as` (or leaves the
// field absent when that is nullopt), and repeats keep the smallest value.
void set_delta(std::optional<std::int64_t>& field, std::optional<std::string_view> argument,
               std::optional<std::int64_t> invalid_as) {
  std::optional<std::int64_t> seconds;
  if (argument) {
    if (const std::optional<std::string> text = unquote(*argument)) {
      seconds = parse_delta_seconds(*text);
    }
  }
  if (!seconds) seconds = invalid_as;
  if (!seconds) return;
  field = field ? std::min(*field, *seconds) : *seconds;
}

// A qualified no-cache or private: the fields it names are withheld; an argument that cannot be
// read counts as the bare directive (`bare`).
void withhold(CacheControl& cc, std::string_view argument, bool CacheControl::*bare) {
  const std::optional<std::string> names = unquote(argument);
  const std::vector<std::string_view> fields =
      names ? split_list(*names) : std::vector<std::string_view>{};
  if (fields.empty()) {
    cc.*bare = true;
    return;
  }
  for (std::string_view field : fields) cc.withheld_fields.emplace_back(field);
}

}  // namespace

CacheControl parse_cache_control(std::string_view value) {
  CacheControl cc;
  const std::array<std::pair<std::string_view, bool CacheControl::*>, 8> flags = {{
      {"no-store", &CacheControl::no_store},
      {"no-cache", &CacheControl::no_cache},
      {"private", &CacheControl::is_private},
      {"public", &CacheControl::is_public},
      {"must-revalidate", &CacheControl::must_revalidate},
      {"proxy-revalidate", &CacheControl::proxy_revalidate},
      {"no-transform", &CacheControl::no_transform},
      {"immutable", &CacheControl::immutable},
  }};
  for (std::string_view directive : split_list(value)) {
    const std::size_t equals = directive.find('=');
    const std::string_view name = trim_ows(directive.substr(0, equals));
    std::optional<std::string_view> argument;
    if (equals != std::string_view::npos) argument = trim_ows(directive.substr(equals + 1));

    if (iequals(name, "max-age")) {
      set_delta(cc.max_age, argument, 0);
    } else if (iequals(name, "s-maxage")) {
      set_delta(cc.s_maxage, argument, 0);
    } else if (iequals(name, "stale-while-revalidate")) {
      set_delta(cc.stale_while_revalidate, argument, std::nullopt);
    } else if (iequals(name, "stale-if-error")) {
      set_delta(cc.stale_if_error, argument, std::nullopt);
    } else if (iequals(name, "no-cache") && argument) {
      withhold(cc, *argument, &CacheControl::no_cache);
    } else if (iequals(name, "private") && argument) {
      withhold(cc, *argument, &CacheControl::is_private);
    } else {
      for (const auto& [flag_name, member] : flags) {
        if (iequals(name, flag_name)) cc.*member = true;
      }
    }
  }
  return cc;
}

RequestCacheControl parse_request_cache_control(std::string_view cache_control,
                                                std::string_view pragma) {
  RequestCacheControl out;
  if (cache_control.empty()) {
    out.no_cache = list_contains(pragma, "no-cache");
    return out;
  }
  const CacheControl cc = parse_cache_control(cache_control);
  out.no_cache = cc.no_cache || !cc.withheld_fields.empty();
  out.max_age = cc.max_age;
  out.only_if_cached = list_contains(cache_control, "only-if-cached");
  return out;
}

}  // namespace casserole::http
