#include "upstream/cache_policy.hpp"

#include <algorithm>

#include "http/path_glob.hpp"

namespace casserole::upstream {

StoreRules CachePolicy::rules_for(std::string_view target) const {
  StoreRules rules{.min_ttl = min_ttl, .default_ttl = default_ttl, .one_answer_size = segment_size};
  const auto matches = [&](const std::string& glob) { return http::path_matches(glob, target); };
  const auto rule = std::ranges::find_if(ttl, matches, &PathTtl::glob);
  if (rule != ttl.end()) rules.ttl = rule->ttl;
  rules.immutable = std::ranges::any_of(immutable, matches);
  return rules;
}

}  // namespace casserole::upstream
