#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

// HTTP dates (RFC 9110 §5.6.7), always in UTC, independent of the locale and the local timezone.
namespace casserole::http {

// Parses IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), the obsolete RFC 850 form
// ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime ("Sun Nov  6 08:49:37 1994"). Names are
// case-sensitive as in the grammar, field ranges are checked (a leap second 60 is allowed), and
// the day name must be a real one but is not checked against the date, as browsers do. An RFC 850
// two-digit year is placed in the century that keeps it at most 50 years after `now`. Dates beyond
// what system_clock can hold saturate at its limits, so "year 9999" still means "far future".
// Anything else, outer whitespace aside, gives nullopt.
std::optional<std::chrono::system_clock::time_point> parse_http_date(
    std::string_view value,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Formats as IMF-fixdate, truncating to whole seconds.
std::string format_http_date(std::chrono::system_clock::time_point time);

}  // namespace casserole::http
