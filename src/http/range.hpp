#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Byte ranges (RFC 9110 §14): the client's Range header resolved against a representation, the
// Content-Range we send, and the Content-Range an upstream sends back on a 206.
namespace casserole::http {

// An inclusive byte range; first <= last always holds for ranges this module produces.
struct ByteRange {
  std::uint64_t first;
  std::uint64_t last;

  std::uint64_t length() const { return last - first + 1; }
  friend bool operator==(const ByteRange&, const ByteRange&) = default;
};

// whole: serve the full representation (200); partial: serve `ranges` (206); unsatisfiable: 416.
enum class RangeKind { whole, partial, unsatisfiable };

// For partial, `ranges` is non-empty, every range lies within [0, length), no two ranges overlap
// or touch, and they keep the order the client asked for. For whole and unsatisfiable it is empty.
struct RangeSet {
  RangeKind kind;
  std::vector<ByteRange> ranges;
};

// Resolves a Range header value against a representation of `length` bytes.
//  - An empty value (no header), a unit other than "bytes", a syntax error, a range whose last
//    position precedes its first, or more than `max_ranges` ranges: whole, as RFC 9110 §14.2 lets
//    a server ignore a Range it does not like.
//  - A position past the end is clamped to length - 1; a suffix longer than the representation
//    selects all of it (a partial range 0..length-1, as Apache and nginx answer).
//  - Ranges starting at or past the end, and "-0", are dropped; if none remain: unsatisfiable.
//  - Overlapping or adjacent ranges are merged, so repeating one range cannot multiply the work.
//  - A zero-length representation has no byte to select: a non-empty suffix range makes the set
//    whole (the client asked for "the last n bytes", which is all of nothing); anything else is
//    unsatisfiable.
RangeSet resolve_ranges(std::string_view range_header, std::uint64_t length,
                        std::size_t max_ranges = 64);

// "bytes first-last/complete_length", for a 206 or a part of multipart/byteranges.
std::string format_content_range(ByteRange r, std::uint64_t complete_length);

// "bytes */complete_length", for a 416.
std::string format_unsatisfied_range(std::uint64_t complete_length);

// A Content-Range of a 206 from an upstream; complete_length is absent for "/*".
struct ContentRange {
  std::uint64_t first;
  std::uint64_t last;
  std::optional<std::uint64_t> complete_length;
  friend bool operator==(const ContentRange&, const ContentRange&) = default;
};

// Parses "bytes first-last/complete" or "bytes first-last/*". Nullopt for the unsatisfied form
// "bytes */n", another unit, last < first, last >= complete length, a number of 2^64 - 1 or more,
// or any other deviation from the grammar (outer whitespace aside).
std::optional<ContentRange> parse_content_range(std::string_view value);

}  // namespace casserole::http
