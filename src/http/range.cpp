#include "http/range.hpp"

#include <algorithm>
#include <limits>

#include "http/header_util.hpp"

namespace casserole::http {
namespace {

// One byte-range-spec as written: an int-range "first-[last]" or a suffix-range "-suffix".
struct RangeSpec {
  bool is_suffix = false;
  std::uint64_t first = 0;
  std::optional<std::uint64_t> last;
  std::uint64_t suffix = 0;
};

std::optional<RangeSpec> parse_range_spec(std::string_view text) {
  const std::size_t dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const std::string_view before = text.substr(0, dash);
  const std::string_view after = text.substr(dash + 1);
  RangeSpec spec;
  if (before.empty()) {
    const std::optional<std::uint64_t> suffix = parse_digits(after);
    if (!suffix) return std::nullopt;
    spec.is_suffix = true;
    spec.suffix = *suffix;
    return spec;
  }
  const std::optional<std::uint64_t> first = parse_digits(before);
  if (!first) return std::nullopt;
  spec.first = *first;
  if (!after.empty()) {
    spec.last = parse_digits(after);
    if (!spec.last || *spec.last < spec.first) return std::nullopt;
  }
  return spec;
}

// The part of the representation `spec` selects, or nullopt when it selects nothing. Requires
// length > 0.
std::optional<ByteRange> resolve(const RangeSpec& spec, std::uint64_t length) {
  if (spec.is_suffix) {
    if (spec.suffix == 0) return std::nullopt;
    return ByteRange{length - std::min(spec.suffix, length), length - 1};
  }
  if (spec.first >= length) return std::nullopt;
  return ByteRange{spec.first, std::min(spec.last.value_or(length - 1), length - 1)};
}

bool touches(const ByteRange& a, const ByteRange& b) {
  // Ranges lie below UINT64_MAX (they are within a length), so last + 1 cannot overflow.
  return a.first <= b.last + 1 && b.first <= a.last + 1;
}

// Adds `r` to `ranges`, merging it with every range it overlaps or touches; the merged range takes
// the place of the earliest one. The union is contiguous, so one pass finds all the neighbours.
void add_coalesced(std::vector<ByteRange>& ranges, ByteRange r) {
  auto place = ranges.end();
  for (auto it = ranges.begin(); it != ranges.end();) {
    if (!touches(*it, r)) {
      ++it;
      continue;
    }
    r = ByteRange{std::min(r.first, it->first), std::max(r.last, it->last)};
    if (place == ranges.end()) {
      place = it++;
    } else {
      it = ranges.erase(it);
    }
  }
  if (place == ranges.end()) {
    ranges.push_back(r);
  } else {
    *place = r;
  }
}

}  // namespace

RangeSet resolve_ranges(std::string_view range_header, std::uint64_t length,
                        std::size_t max_ranges) {
  const RangeSet whole{RangeKind::whole, {}};
  const RangeSet unsatisfiable{RangeKind::unsatisfiable, {}};
  range_header = trim_ows(range_header);
  const std::size_t equals = range_header.find('=');
  if (equals == std::string_view::npos || !iequals(range_header.substr(0, equals), "bytes")) {
    return whole;
  }
  const std::vector<std::string_view> elements = split_list(range_header.substr(equals + 1));
  if (elements.empty() || elements.size() > max_ranges) return whole;

  std::vector<RangeSpec> specs;
  specs.reserve(elements.size());
  for (std::string_view element : elements) {
    std::optional<RangeSpec> spec = parse_range_spec(element);
    if (!spec) return whole;
    specs.push_back(*spec);
  }

  if (length == 0) {
    const bool any_suffix = std::any_of(specs.begin(), specs.end(), [](const RangeSpec& spec) {
      return spec.is_suffix && spec.suffix > 0;
    });
    return any_suffix ? whole : unsatisfiable;
  }

  RangeSet result{RangeKind::partial, {}};
  for (const RangeSpec& spec : specs) {
    if (std::optional<ByteRange> r = resolve(spec, length)) add_coalesced(result.ranges, *r);
  }
  return result.ranges.empty() ? unsatisfiable : result;
}

std::string format_content_range(ByteRange r, std::uint64_t complete_length) {
  return "bytes " + std::to_string(r.first) + "-" + std::to_string(r.last) + "/" +
         std::to_string(complete_length);
}

std::string format_unsatisfied_range(std::uint64_t complete_length) {
  return "bytes */" + std::to_string(complete_length);
}

std::optional<ContentRange> parse_content_range(std::string_view value) {
  value = trim_ows(value);
  constexpr std::string_view kUnit = "bytes ";
  if (value.size() < kUnit.size() || !iequals(value.substr(0, kUnit.size()), kUnit)) {
    return std::nullopt;
  }
  value.remove_prefix(kUnit.size());
  const std::size_t dash = value.find('-');
  const std::size_t slash = value.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) {
    return std::nullopt;
  }
  // parse_digits saturates, so UINT64_MAX stands for "did not fit in 64 bits".
  auto number = [](std::string_view digits) -> std::optional<std::uint64_t> {
    std::optional<std::uint64_t> n = parse_digits(digits);
    if (n == std::numeric_limits<std::uint64_t>::max()) return std::nullopt;
    return n;
  };
  const std::optional<std::uint64_t> first = number(value.substr(0, dash));
  const std::optional<std::uint64_t> last = number(value.substr(dash + 1, slash - dash - 1));
  if (!first || !last || *last < *first) return std::nullopt;
  ContentRange result{*first, *last, std::nullopt};
  const std::string_view complete = value.substr(slash + 1);
  if (complete != "*") {
    result.complete_length = number(complete);
    if (!result.complete_length || *last >= *result.complete_length) return std::nullopt;
  }
  return result;
}

}  // namespace casserole::http
