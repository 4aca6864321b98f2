#include "http/http_date.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

#include "http/header_util.hpp"

namespace casserole::http {
namespace {

using std::chrono::system_clock;

constexpr std::array<std::string_view, 7> kDayNames = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongDayNames = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonthNames = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// The calendar fields of a date as written, before range checks.
struct Fields {
  int year = 0;
  int month = 0;  // 1-12
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
};

// Consumes `text` from the front; every read either succeeds and advances or fails.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool done() const { return text_.empty(); }

  bool literal(std::string_view expected) {
    if (!text_.starts_with(expected)) return false;
    text_.remove_prefix(expected.size());
    return true;
  }

  // Exactly `count` digits.
  bool number(std::size_t count, int& out) {
    if (text_.size() < count) return false;
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
      if (text_[i] < '0' || text_[i] > '9') return false;
      value = value * 10 + (text_[i] - '0');
    }
    text_.remove_prefix(count);
    out = value;
    return true;
  }

  // One of `names`; `index` receives its position.
  template <std::size_t N>
  bool name(const std::array<std::string_view, N>& names, int& index) {
    for (std::size_t i = 0; i < N; ++i) {
      if (literal(names[i])) {
        index = static_cast<int>(i);
        return true;
      }
    }
    return false;
  }

  bool month(int& out) {
    if (!name(kMonthNames, out)) return false;
    ++out;
    return true;
  }

  // time-of-day = hour ":" minute ":" second
  bool time_of_day(Fields& f) {
    return number(2, f.hour) && literal(":") && number(2, f.minute) && literal(":") &&
           number(2, f.second);
  }

 private:
  std::string_view text_;
};

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<Fields> parse_imf_fixdate(std::string_view text) {
  Cursor in(text);
  Fields f;
  int weekday = 0;
  if (in.name(kDayNames, weekday) && in.literal(", ") && in.number(2, f.day) && in.literal(" ") &&
      in.month(f.month) && in.literal(" ") && in.number(4, f.year) && in.literal(" ") &&
      in.time_of_day(f) && in.literal(" GMT") && in.done()) {
    return f;
  }
  return std::nullopt;
}

// "Sunday, 06-Nov-94 08:49:37 GMT"; the year is left as two digits.
std::optional<Fields> parse_rfc850_date(std::string_view text) {
  Cursor in(text);
  Fields f;
  int weekday = 0;
  if (in.name(kLongDayNames, weekday) && in.literal(", ") && in.number(2, f.day) &&
      in.literal("-") && in.month(f.month) && in.literal("-") && in.number(2, f.year) &&
      in.literal(" ") && in.time_of_day(f) && in.literal(" GMT") && in.done()) {
    return f;
  }
  return std::nullopt;
}

// "Sun Nov  6 08:49:37 1994" (the day is 2DIGIT or SP DIGIT)
std::optional<Fields> parse_asctime_date(std::string_view text) {
  Cursor in(text);
  Fields f;
  int weekday = 0;
  if (in.name(kDayNames, weekday) && in.literal(" ") && in.month(f.month) && in.literal(" ") &&
      ((in.literal(" ") && in.number(1, f.day)) || in.number(2, f.day)) && in.literal(" ") &&
      in.time_of_day(f) && in.literal(" ") && in.number(4, f.year) && in.done()) {
    return f;
  }
  return std::nullopt;
}

// RFC 9110 §5.6.7: the latest year ending in `two_digits` that is at most 50 years after `now`.
int expand_two_digit_year(int two_digits, system_clock::time_point now) {
  using namespace std::chrono;
  const int limit = static_cast<int>(year_month_day{floor<days>(now)}.year()) + 50;
  return limit - (((limit - two_digits) % 100) + 100) % 100;
}

std::optional<system_clock::time_point> to_time_point(const Fields& f) {
  using namespace std::chrono;
  const year_month_day date{year{f.year}, month{static_cast<unsigned>(f.month)},
                            day{static_cast<unsigned>(f.day)}};
  if (!date.ok() || f.hour > 23 || f.minute > 59 || f.second > 60) return std::nullopt;
  const sys_seconds time = sys_days{date} + hours{f.hour} + minutes{f.minute} + seconds{f.second};
  const sys_seconds latest = floor<seconds>(system_clock::time_point::max());
  const sys_seconds earliest = ceil<seconds>(system_clock::time_point::min());
  return system_clock::time_point{std::clamp(time, earliest, latest)};
}

}  // namespace

std::optional<system_clock::time_point> parse_http_date(std::string_view value,
                                                        system_clock::time_point now) {
  value = trim_ows(value);
  if (std::optional<Fields> f = parse_imf_fixdate(value)) return to_time_point(*f);
  if (std::optional<Fields> f = parse_rfc850_date(value)) {
    f->year = expand_two_digit_year(f->year, now);
    return to_time_point(*f);
  }
  if (std::optional<Fields> f = parse_asctime_date(value)) return to_time_point(*f);
  return std::nullopt;
}

std::string format_http_date(system_clock::time_point time) {
  using namespace std::chrono;
  const sys_seconds seconds_since_epoch = floor<seconds>(time);
  const sys_days date_days = floor<days>(seconds_since_epoch);
  const year_month_day date{date_days};
  const hh_mm_ss clock{seconds_since_epoch - date_days};
  char text[64];
  std::snprintf(
      text, sizeof text, "%.3s, %02u %.3s %04d %02d:%02d:%02d GMT",
      kDayNames[weekday{date_days}.c_encoding()].data(), static_cast<unsigned>(date.day()),
      kMonthNames[static_cast<unsigned>(date.month()) - 1].data(), static_cast<int>(date.year()),
      static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
      static_cast<int>(clock.seconds().count()));
  return text;
}

}  // namespace casserole::http
