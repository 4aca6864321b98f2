#include "app/option_values.hpp"

#include <boost/algorithm/string/predicate.hpp>
#include <boost/url/authority_view.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <cctype>
#include <charconv>
#include <limits>

namespace casserole::app {
namespace {

using boost::algorithm::iequals;

struct Number {
  std::uint64_t value;
  std::string_view suffix;
};

// Reads the leading decimal digits of `text`. from_chars already refuses signs, spaces and
// overflow, which is exactly the strictness wanted for option values.
std::optional<Number> leading_number(std::string_view text) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc{}) return std::nullopt;
  return Number{value, std::string_view(stop, end - stop)};
}

// The power of two a size suffix stands for, e.g. 20 for "M", "MB" or "MiB".
std::optional<unsigned> size_shift(std::string_view suffix) {
  if (suffix.empty() || iequals(suffix, "b")) return 0;
  constexpr std::string_view units = "kmgt";
  const auto unit =
      units.find(static_cast<char>(std::tolower(static_cast<unsigned char>(suffix[0]))));
  if (unit == std::string_view::npos) return std::nullopt;
  const std::string_view rest = suffix.substr(1);
  if (!rest.empty() && !iequals(rest, "b") && !iequals(rest, "ib")) return std::nullopt;
  return 10 * static_cast<unsigned>(unit + 1);
}

std::optional<std::int64_t> duration_unit_ms(std::string_view suffix) {
  if (suffix.empty() || iequals(suffix, "s")) return 1000;
  if (iequals(suffix, "ms")) return 1;
  if (iequals(suffix, "m")) return 60 * 1000;
  if (iequals(suffix, "h")) return 60 * 60 * 1000;
  if (iequals(suffix, "d")) return 24 * 60 * 60 * 1000;
  return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
  const auto number = leading_number(text);
  if (!number) return std::nullopt;
  const auto shift = size_shift(number->suffix);
  if (!shift || number->value > (std::numeric_limits<std::uint64_t>::max() >> *shift)) {
    return std::nullopt;
  }
  return number->value << *shift;
}

std::string format_size(std::uint64_t bytes) {
  constexpr std::string_view units = "TGMK";
  for (std::size_t i = 0; i < units.size(); ++i) {
    const unsigned shift = 10 * static_cast<unsigned>(units.size() - i);
    if (bytes != 0 && bytes % (std::uint64_t{1} << shift) == 0) {
      return std::to_string(bytes >> shift) + units[i];
    }
  }
  return std::to_string(bytes);
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  const auto number = leading_number(text);
  if (!number) return std::nullopt;
  const auto unit = duration_unit_ms(number->suffix);
  constexpr auto max_ms = std::numeric_limits<std::chrono::milliseconds::rep>::max();
  if (!unit || number->value > static_cast<std::uint64_t>(max_ms / *unit)) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(number->value) * *unit);
}

std::optional<std::pair<std::string, std::chrono::seconds>> parse_path_ttl(std::string_view text) {
  const auto equals = text.rfind('=');
  if (equals == std::string_view::npos) return std::nullopt;
  const std::string_view glob = text.substr(0, equals);
  if (!glob.starts_with('/') && !glob.starts_with('*')) return std::nullopt;
  const auto duration = parse_duration(text.substr(equals + 1));
  if (!duration || duration->count() <= 0 || duration->count() % 1000 != 0) return std::nullopt;
  return std::pair{std::string(glob), std::chrono::duration_cast<std::chrono::seconds>(*duration)};
}

std::string format_duration(std::chrono::milliseconds duration) {
  const auto ms = duration.count();
  constexpr std::int64_t hour = 60 * 60 * 1000;
  if (ms != 0 && ms % hour == 0) return std::to_string(ms / hour) + "h";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::optional<bool> parse_bool(std::string_view text) {
  for (std::string_view yes : {"true", "1", "yes", "on"}) {
    if (iequals(text, yes)) return true;
  }
  for (std::string_view no : {"false", "0", "no", "off"}) {
    if (iequals(text, no)) return false;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> parse_count(std::string_view text) {
  const auto number = leading_number(text);
  if (!number || !number->suffix.empty()) return std::nullopt;
  return number->value;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    const auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const auto first = item.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;
    item = item.substr(first, item.find_last_not_of(" \t") - first + 1);
    items.emplace_back(item);
  }
  return items;
}

namespace {

// Boost.URL takes any digits as a port and wraps large ones; only 1-65535 can be used.
std::optional<std::uint16_t> port_of(std::string_view digits) {
  unsigned long port = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || port == 0 ||
      port > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(port);
}

}  // namespace

std::optional<HostPort> parse_host_port(std::string_view text) {
  const auto authority = boost::urls::parse_authority(text);
  if (!authority || authority->has_userinfo() || authority->encoded_host().empty() ||
      authority->host_type() == boost::urls::host_type::ipvfuture || !port_of(authority->port())) {
    return std::nullopt;
  }
  return HostPort{authority->host_address(), *port_of(authority->port())};
}

std::string format_host_port(const HostPort& address) {
  const bool ipv6 = address.host.find(':') != std::string::npos;
  return (ipv6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(address.port);
}

std::optional<std::string> parse_http_url(std::string_view text) {
  const auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return std::nullopt;
  const auto scheme = parsed->scheme_id();
  if ((scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https) ||
      parsed->encoded_host().empty() || parsed->has_userinfo() || parsed->has_query() ||
      parsed->has_fragment() || parsed->host_type() == boost::urls::host_type::ipvfuture ||
      (parsed->has_port() && !port_of(parsed->port()))) {
    return std::nullopt;
  }
  boost::urls::url url(*parsed);
  url.normalize_scheme();
  std::string path(url.encoded_path());
  path.erase(path.find_last_not_of('/') + 1);
  url.set_encoded_path(path);
  return std::string(url.buffer());
}

}  // namespace casserole::app
