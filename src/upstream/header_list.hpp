// HeaderList: header fields as plain name/value pairs, in order, so code that only reasons about
// header values (metadata, cacheability) needs no HTTP library.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace casserole::upstream {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Every value of a field, joined with ", " as RFC 9110 §5.3 allows for list-valued fields;
// empty when absent.
std::string joined_values(const HeaderList& headers, std::string_view name);
// The first value of a field, or empty when absent.
std::string_view first_value(const HeaderList& headers, std::string_view name);
bool has_field(const HeaderList& headers, std::string_view name);
// The end-to-end fields: without the hop-by-hop ones and those Connection names (RFC 9110 §7.6.1).
HeaderList end_to_end(HeaderList headers);

}  // namespace casserole::upstream
