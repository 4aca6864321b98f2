#include "http/path_glob.hpp"

#include <fnmatch.h>

namespace casserole::http {

bool path_matches(const std::string& glob, std::string_view target) {
  const std::string path(target.substr(0, target.find('?')));
  return fnmatch(glob.c_str(), path.c_str(), 0) == 0;
}

}  // namespace casserole::http
