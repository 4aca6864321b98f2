#include "upstream/header_list.hpp"

#include "http/header_util.hpp"

namespace casserole::upstream {

std::string joined_values(const HeaderList& headers, std::string_view name) {
  std::string out;
  for (const auto& [field, value] : headers) {
    if (!http::iequals(field, name)) continue;
    if (!out.empty()) out += ", ";
    out += value;
  }
  return out;
}

std::string_view first_value(const HeaderList& headers, std::string_view name) {
  for (const auto& [field, value] : headers) {
    if (http::iequals(field, name)) return value;
  }
  return {};
}

bool has_field(const HeaderList& headers, std::string_view name) {
  for (const auto& [field, value] : headers) {
    if (http::iequals(field, name)) return true;
  }
  return false;
}

HeaderList end_to_end(HeaderList headers) {
  const std::string connection = joined_values(headers, "Connection");
  std::erase_if(headers, [&](const auto& field) {
    return http::is_hop_by_hop(field.first) || http::list_contains(connection, field.first);
  });
  return headers;
}

}  // namespace casserole::upstream
