#include "disk/directory_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace casserole::disk {

DirectoryLock::DirectoryLock(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  std::filesystem::path path = dir / "lock";
  file_ = FileDescriptor(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!file_) throw std::system_error(errno, std::generic_category(), path.string());
  if (::flock(file_.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK)
      throw std::system_error(errno, std::generic_category(), path.string());
    char pid[32] = {};
    ssize_t n = ::pread(file_.get(), pid, sizeof pid - 1, 0);
    std::string holder =
        n > 0 ? " (pid " + std::string(pid, static_cast<std::size_t>(n)) + ")" : "";
    throw DirectoryInUse("disk cache directory " + dir.string() +
                         " is in use by another casserole process" + holder);
  }
  std::string pid = std::to_string(::getpid());
  if (::ftruncate(file_.get(), 0) != 0 ||
      ::pwrite(file_.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    throw std::system_error(errno, std::generic_category(), path.string());
  }
}

}  // namespace casserole::disk
