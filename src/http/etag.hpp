#pragma once

#include <optional>
#include <string>
#include <string_view>

// Entity tags and the preconditions built on them (RFC 9110 §8.8.3, §13.1.1, §13.1.2).
namespace casserole::http {

// An entity tag; `opaque` keeps its double quotes, so to_string() gives back the field value.
struct EntityTag {
  bool weak = false;
  std::string opaque;

  std::string to_string() const { return weak ? "W/" + opaque : opaque; }
  friend bool operator==(const EntityTag&, const EntityTag&) = default;
};

// Parses one entity-tag: an optional case-sensitive "W/" and a double-quoted opaque tag of
// etagc characters (no escapes: a backslash is an ordinary character). Nullopt for anything else,
// outer whitespace aside.
std::optional<EntityTag> parse_entity_tag(std::string_view value);

// Strong comparison: both tags are strong and their opaque tags are equal.
bool strong_compare(const EntityTag& a, const EntityTag& b);

// Weak comparison: the opaque tags are equal, whatever the weakness.
bool weak_compare(const EntityTag& a, const EntityTag& b);

// True when If-None-Match stops a normal response, i.e. the client's copy is current (304 for
// GET/HEAD): "*" while a representation exists, or a listed tag that weakly matches `current`.
// An empty value (no header) or a malformed list never hits.
bool if_none_match_hits(std::string_view if_none_match_header,
                        const std::optional<EntityTag>& current);

// True when If-Match lets the request proceed (otherwise 412): an empty value (no header), "*"
// while a representation exists, or a listed tag that strongly matches `current`. A malformed list
// never passes.
bool if_match_passes(std::string_view if_match_header, const std::optional<EntityTag>& current);

}  // namespace casserole::http
