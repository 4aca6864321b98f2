#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

// Small building blocks for reading HTTP field values (RFC 9110 §5). They never throw and never
// read outside the given view; the views they return point into their argument.
namespace casserole::http {

// RFC 9111 §1.2.2: a delta-seconds value too large to represent is taken as 2^31.
inline constexpr std::int64_t kMaxDeltaSeconds = std::int64_t{1} << 31;

// iequals for two views of the same size.
bool iequals_same_size(std::string_view a, std::string_view b);

// ASCII case-insensitive equality, which is what field names, tokens and units need; locale
// independent. Most comparisons of field names differ in length, so that test is inline: the
// calls it saves were about 5% of a small response's instructions (callgrind).
inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && iequals_same_size(a, b);
}

// Removes optional whitespace (SP and HTAB) from both ends.
std::string_view trim_ows(std::string_view value);

// Splits a comma-separated list (RFC 9110 §5.6.1): trims OWS around each element, skips empty
// elements, and does not split at commas inside quoted strings (which may hold \-escapes). An
// unterminated quoted string runs to the end of the value.
std::vector<std::string_view> split_list(std::string_view value);

// True when some element of the comma-separated `list` equals `token`, ignoring case. Used for
// Connection, Vary and similar token lists.
bool list_contains(std::string_view list, std::string_view token);

// True for the hop-by-hop fields a proxy must not forward (RFC 9110 §7.6.1). Fields named in the
// Connection header are hop-by-hop too; callers check those with list_contains.
bool is_hop_by_hop(std::string_view field_name);

// Reads 1*DIGIT. Returns nullopt when `digits` is empty or holds anything but ASCII digits. A
// value above UINT64_MAX saturates there, so callers decide whether that means "huge" (a range
// position past any length) or "invalid" (a Content-Range from an upstream).
std::optional<std::uint64_t> parse_digits(std::string_view digits);

// Reads delta-seconds (RFC 9111 §1.2.2): 1*DIGIT, clamped to kMaxDeltaSeconds. Nullopt when it is
// not 1*DIGIT.
std::optional<std::int64_t> parse_delta_seconds(std::string_view digits);

}  // namespace casserole::http
