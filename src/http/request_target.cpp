#include "http/request_target.hpp"

#include <optional>
#include <vector>

namespace casserole::http {
namespace {

bool unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::optional<int> hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return std::nullopt;
}

// The path with unreserved escapes decoded and the others in upper case, or why not.
std::string_view decode_unreserved(std::string_view path, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '\\') return "a backslash, which some upstreams read as a slash";
    if (c != '%') {
      out += c;
      continue;
    }
    const auto high = i + 2 < path.size() ? hex_value(path[i + 1]) : std::nullopt;
    const auto low = high ? hex_value(path[i + 2]) : std::nullopt;
    if (!low) return "a malformed percent-escape";
    const char decoded = static_cast<char>(*high * 16 + *low);
    i += 2;
    if (decoded == '/') return "an encoded slash, which upstreams read differently";
    if (decoded == '\\') return "an encoded backslash, which some upstreams read as a slash";
    if (decoded == '\0') return "an encoded NUL";
    if (unreserved(decoded)) {
      out += decoded;
    } else {
      out += '%';
      out += kHex[*high];
      out += kHex[*low];
    }
  }
  return {};
}

bool is_dot_segment(std::string_view segment) {
  return segment == "." || segment == "..";
}

}  // namespace

NormalTarget normalize_target(std::string_view target) {
  if (target.empty() || target.front() != '/') return {{}, "the target must be an absolute path"};
  if (target.find('#') != std::string_view::npos) return {{}, "a fragment in the target"};
  const std::size_t query_at = target.find('?');
  const std::string_view path = target.substr(0, query_at);
  // Most targets are normal already: only an escape, a backslash or a dot after a slash can
  // change or refuse one.
  if (path.find_first_of("%\\") == std::string_view::npos &&
      path.find("/.") == std::string_view::npos) {
    return {std::string(target), {}};
  }

  std::string decoded;
  if (auto refusal = decode_unreserved(path, decoded); !refusal.empty()) return {{}, refusal};

  // RFC 3986 §5.2.4 on a path of segments: "." goes, ".." takes the previous segment with it;
  // either one last leaves the path ending in a slash.
  std::vector<std::string_view> kept;
  bool trailing_slash = false;
  std::string_view rest = std::string_view(decoded).substr(1);
  for (;;) {
    const std::size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    const bool last = slash == std::string_view::npos;
    if (is_dot_segment(segment.substr(0, segment.find(';'))) && !is_dot_segment(segment)) {
      return {{}, "a dot segment with parameters, which some upstreams read as a dot segment"};
    }
    if (segment == "..") {
      if (kept.empty()) return {{}, "the path climbs above the root"};
      kept.pop_back();
    } else if (segment != ".") {
      kept.push_back(segment);
    }
    if (last) {
      trailing_slash = is_dot_segment(segment);
      break;
    }
    rest.remove_prefix(slash + 1);
  }

  std::string normal = "/";
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (i > 0) normal += '/';
    normal += kept[i];
  }
  if (trailing_slash && !kept.empty()) normal += '/';
  if (query_at != std::string_view::npos) normal += target.substr(query_at);
  return {std::move(normal), {}};
}

}  // namespace casserole::http
