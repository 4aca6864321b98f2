#include "throttled_origin.hpp"

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace casserole::bench {
namespace {

// Sets environment variables while it lives and then puts back what was there. NginxOrigin
// starts nginx with this process's environment and no way to add to it, so the preload is
// set around its construction; nothing else is started meanwhile.
class ScopedEnvironment {
 public:
  explicit ScopedEnvironment(const std::vector<std::pair<std::string, std::string>>& variables) {
    for (const auto& [name, value] : variables) {
      const char* previous = std::getenv(name.c_str());
      saved_.push_back({name, previous ? std::optional<std::string>(previous) : std::nullopt});
      set(name, value);
    }
  }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;
  ~ScopedEnvironment() {
    for (const auto& [name, previous] : saved_) {
      if (previous) {
        ::setenv(name.c_str(), previous->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }

 private:
  static void set(const std::string& name, const std::string& value) {
    if (::setenv(name.c_str(), value.c_str(), 1) != 0) {
      throw std::system_error(errno, std::generic_category(), "setenv " + name);
    }
  }

  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

}  // namespace

test::NginxOrigin start_throttled_origin(const std::filesystem::path& docroot,
                                         std::uint64_t bytes_per_second) {
  const ScopedEnvironment preload({{"LD_PRELOAD", CASSEROLE_PACING_SHIM},
                                   {"CASSEROLE_PACING_RATE", std::to_string(bytes_per_second)}});
  return test::NginxOrigin(
      {.location_config = "root \"" + docroot.string() + "\"; expires 1h;", .tls = false});
}

}  // namespace casserole::bench
