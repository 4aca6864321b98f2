#include "support/disk_usage.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <utility>

namespace casserole::test {
namespace {

using Inode = std::pair<dev_t, ino_t>;

// `name` relative to the open directory `parent` (AT_FDCWD at the top), so that a path renamed
// above us mid-walk cannot make us count another tree.
std::uint64_t usage_at(int parent, const char* name, std::set<Inode>& linked) {
  struct stat status {};
  if (::fstatat(parent, name, &status, AT_SYMLINK_NOFOLLOW) != 0) return 0;
  if (!S_ISDIR(status.st_mode) && status.st_nlink > 1 &&
      !linked.emplace(status.st_dev, status.st_ino).second) {
    return 0;
  }
  std::uint64_t total = static_cast<std::uint64_t>(status.st_blocks) * 512;
  if (!S_ISDIR(status.st_mode)) return total;

  const int fd = ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return total;
  DIR* directory = ::fdopendir(fd);
  if (directory == nullptr) {
    ::close(fd);
    return total;
  }
  while (const dirent* entry = ::readdir(directory)) {
    if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0) continue;
    total += usage_at(::dirfd(directory), entry->d_name, linked);
  }
  ::closedir(directory);
  return total;
}

}  // namespace

std::uint64_t disk_usage(const std::filesystem::path& path) {
  std::set<Inode> linked;
  return usage_at(AT_FDCWD, path.c_str(), linked);
}

}  // namespace casserole::test
