#include "http/header_util.hpp"

#include <algorithm>
#include <array>
#include <limits>

namespace casserole::http {
namespace {

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

}  // namespace

bool iequals_same_size(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(),
                    [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

std::string_view trim_ows(std::string_view value) {
  while (!value.empty() && is_ows(value.front())) value.remove_prefix(1);
  while (!value.empty() && is_ows(value.back())) value.remove_suffix(1);
  return value;
}

std::vector<std::string_view> split_list(std::string_view value) {
  std::vector<std::string_view> elements;
  auto add = [&](std::size_t begin, std::size_t end) {
    const std::string_view element = trim_ows(value.substr(begin, end - begin));
    if (!element.empty()) elements.push_back(element);
  };
  std::size_t start = 0;
  bool in_quotes = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (in_quotes && value[i] == '\\') {
      ++i;  // The escaped character cannot close the quoted string.
    } else if (value[i] == '"') {
      in_quotes = !in_quotes;
    } else if (!in_quotes && value[i] == ',') {
      add(start, i);
      start = i + 1;
    }
  }
  add(start, value.size());
  return elements;
}

bool list_contains(std::string_view list, std::string_view token) {
  const std::vector<std::string_view> elements = split_list(list);
  return std::any_of(elements.begin(), elements.end(),
                     [token](std::string_view element) { return iequals(element, token); });
}

bool is_hop_by_hop(std::string_view field_name) {
  static constexpr std::array<std::string_view, 9> kHopByHop = {"Connection",
                                                                "Keep-Alive",
                                                                "Proxy-Connection",
                                                                "TE",
                                                                "Trailer",
                                                                "Transfer-Encoding",
                                                                "Upgrade",
                                                                "Proxy-Authenticate",
                                                                "Proxy-Authorization"};
  return std::any_of(kHopByHop.begin(), kHopByHop.end(),
                     [field_name](std::string_view name) { return iequals(name, field_name); });
}

std::optional<std::uint64_t> parse_digits(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    value = (value > (kMax - digit) / 10) ? kMax : value * 10 + digit;
  }
  return value;
}

std::optional<std::int64_t> parse_delta_seconds(std::string_view digits) {
  const std::optional<std::uint64_t> value = parse_digits(digits);
  if (!value) return std::nullopt;
  return static_cast<std::int64_t>(std::min<std::uint64_t>(*value, kMaxDeltaSeconds));
}

}  // namespace casserole::http
