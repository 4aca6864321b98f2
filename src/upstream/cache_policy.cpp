#include "upstream/cache_policy.hpp"

#include <fnmatch.h>

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

std::string CachePolicy::key_of(std::string_view target) const {
  std::string key;
  append_key_of(target, key);
  return key;
}

void CachePolicy::append_key_of(std::string_view target, std::string& key) const {
  const auto question = target.find('?');
  if (ignored_query.empty() || question == std::string_view::npos) {
    key.append(target);
    return;
  }
  key.append(target.substr(0, question));
  char separator = '?';
  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view param = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const std::string name(param.substr(0, param.find('=')));
    const bool ignored = std::ranges::any_of(ignored_query, [&](const std::string& glob) {
      return fnmatch(glob.c_str(), name.c_str(), 0) == 0;
    });
    if (ignored || param.empty()) continue;
    key.append(1, separator).append(param);
    separator = '&';
  }
}

}  // namespace casserole::upstream
