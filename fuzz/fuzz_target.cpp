// libFuzzer target for the request target normaliser, which reads every client's target, and for
// the cache key made of what it admits. Besides the sanitizers' checks it asserts the contract of
// http/request_target.hpp: a normal target is an absolute path that never climbs above the root
// (no dot segment, no encoded slash), and normalising it again changes nothing; and that of
// CachePolicy::key_of: the path stays as it is, and a key is its own key.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/request_target.hpp"
#include "upstream/cache_policy.hpp"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

// Every segment of the path in turn, as an upstream resolving it would see them.
void check_stays_below_root(std::string_view path) {
  check(!path.empty() && path.front() == '/');
  check(path.find("%2F") == std::string_view::npos && path.find("%5C") == std::string_view::npos);
  check(path.find('\\') == std::string_view::npos);
  std::string_view rest = path.substr(1);
  for (;;) {
    const std::size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    const std::string_view bare = segment.substr(0, segment.find(';'));
    check(bare != "." && bare != "..");
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto result = casserole::http::normalize_target(input);
  check(result.target.empty() != result.refusal.empty());
  if (result.target.empty()) return 0;
  const std::string_view normal = result.target;
  check_stays_below_root(normal.substr(0, normal.find('?')));
  const auto again = casserole::http::normalize_target(normal);
  check(again.refusal.empty() && again.target == normal);

  static const casserole::upstream::CachePolicy policy{.ignored_query = {"X-Amz-*", "Signature"}};
  const std::string key = policy.key_of(normal);
  const std::string_view path = normal.substr(0, normal.find('?'));
  check(std::string_view(key).substr(0, key.find('?')) == path);
  check(policy.key_of(key) == key);
  return 0;
}
