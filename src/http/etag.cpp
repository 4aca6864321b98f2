#include "http/etag.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "http/header_util.hpp"

namespace casserole::http {
namespace {

// etagc = %x21 / %x23-7E / obs-text
bool is_etagc(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte == 0x21 || (byte >= 0x23 && byte != 0x7F);
}

// Reads an entity-tag at the front of `text` and advances past it.
std::optional<EntityTag> take_entity_tag(std::string_view& text) {
  EntityTag tag;
  std::string_view rest = text;
  if (rest.starts_with("W/")) {
    tag.weak = true;
    rest.remove_prefix(2);
  }
  if (rest.empty() || rest.front() != '"') return std::nullopt;
  const std::size_t close = rest.find('"', 1);
  if (close == std::string_view::npos) return std::nullopt;
  const std::string_view opaque = rest.substr(0, close + 1);
  if (!std::all_of(opaque.begin() + 1, opaque.end() - 1, is_etagc)) return std::nullopt;
  tag.opaque = std::string(opaque);
  text = rest.substr(close + 1);
  return tag;
}

// The tags of an If-Match / If-None-Match list (1#entity-tag, empty elements allowed). Not
// split_list: an opaque tag may hold commas and backslashes that quoted-string rules misread.
std::optional<std::vector<EntityTag>> parse_entity_tag_list(std::string_view text) {
  std::vector<EntityTag> tags;
  while (true) {
    text = trim_ows(text);
    if (text.empty()) break;
    if (text.front() == ',') {
      text.remove_prefix(1);
      continue;
    }
    std::optional<EntityTag> tag = take_entity_tag(text);
    if (!tag) return std::nullopt;
    tags.push_back(std::move(*tag));
    text = trim_ows(text);
    if (!text.empty() && text.front() != ',') return std::nullopt;
  }
  if (tags.empty()) return std::nullopt;
  return tags;
}

// Shared by both preconditions: does `header` name `current`, by "*" or by a tag that
// `compare` accepts?
template <typename Compare>
bool list_matches(std::string_view header, const std::optional<EntityTag>& current,
                  Compare compare) {
  header = trim_ows(header);
  if (header == "*") return current.has_value();
  const std::optional<std::vector<EntityTag>> tags = parse_entity_tag_list(header);
  if (!tags || !current) return false;
  return std::any_of(tags->begin(), tags->end(),
                     [&](const EntityTag& tag) { return compare(tag, *current); });
}

}  // namespace

std::optional<EntityTag> parse_entity_tag(std::string_view value) {
  value = trim_ows(value);
  std::optional<EntityTag> tag = take_entity_tag(value);
  if (!value.empty()) return std::nullopt;
  return tag;
}

bool strong_compare(const EntityTag& a, const EntityTag& b) {
  return !a.weak && !b.weak && a.opaque == b.opaque;
}

bool weak_compare(const EntityTag& a, const EntityTag& b) {
  return a.opaque == b.opaque;
}

bool if_none_match_hits(std::string_view if_none_match_header,
                        const std::optional<EntityTag>& current) {
  return list_matches(if_none_match_header, current, weak_compare);
}

bool if_match_passes(std::string_view if_match_header, const std::optional<EntityTag>& current) {
  if (trim_ows(if_match_header).empty()) return true;
  return list_matches(if_match_header, current, strong_compare);
}

}  // namespace casserole::http
