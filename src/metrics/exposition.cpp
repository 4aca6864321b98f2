#include "metrics/exposition.hpp"

#include <charconv>
#include <cmath>

namespace casserole::metrics {
namespace {

void append_number(std::string& out, double value) {
  if (std::isinf(value)) {
    out.append(value > 0 ? "+Inf" : "-Inf");
    return;
  }
  char digits[32];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, ec == std::errc() ? end : digits);
}

void append_number(std::string& out, std::uint64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, ec == std::errc() ? end : digits);
}

// Label values escape backslash, double quote and line feed; nothing else.
void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '"') {
      out.append("\\\"");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
}

const char* type_name(Exposition::Type type) {
  static constexpr const char* kNames[] = {"counter", "gauge", "histogram"};
  return kNames[static_cast<int>(type)];
}

}  // namespace

void Exposition::family(std::string_view name, Type type, std::string_view help) {
  name_.assign(name);
  text_.append("# HELP ").append(name).append(" ").append(help).append("\n");
  text_.append("# TYPE ").append(name).append(" ").append(type_name(type)).append("\n");
}

void Exposition::series(std::string_view suffix, Labels labels,
                        std::pair<std::string_view, std::string_view> extra) {
  text_.append(name_).append(suffix);
  bool first = true;
  auto label = [&](std::string_view name, std::string_view value) {
    text_.append(first ? "{" : ",").append(name).append("=\"");
    append_label_value(text_, value);
    text_.append("\"");
    first = false;
  };
  for (const auto& [name, value] : labels) label(name, value);
  if (!extra.first.empty()) label(extra.first, extra.second);
  if (!first) text_.append("}");
  text_.append(" ");
}

void Exposition::sample(Labels labels, std::uint64_t value) {
  series({}, labels);
  append_number(text_, value);
  text_.append("\n");
}

void Exposition::sample(Labels labels, double value) {
  series({}, labels);
  append_number(text_, value);
  text_.append("\n");
}

void Exposition::histogram(Labels labels, const Histogram& histogram) {
  std::uint64_t cumulative = 0;
  std::string bound;
  for (std::size_t i = 0; i < histogram.buckets().size(); ++i) {
    cumulative += histogram.buckets()[i];
    bound.clear();
    if (i < Histogram::kBounds.size()) {
      append_number(bound, Histogram::kBounds[i]);
    } else {
      bound = "+Inf";
    }
    series("_bucket", labels, {"le", bound});
    append_number(text_, cumulative);
    text_.append("\n");
  }
  series("_sum", labels);
  append_number(text_, histogram.sum_seconds());
  text_.append("\n");
  series("_count", labels);
  append_number(text_, histogram.count());
  text_.append("\n");
}

}  // namespace casserole::metrics
