// DirectoryLock: one process per disk cache directory. Holds an exclusive flock(2) on <dir>/lock
// for as long as it lives, with the holder's pid written inside for the refusal message. The
// kernel drops the lock with the process, so a crash never leaves a stale lock behind.
#pragma once

#include <filesystem>
#include <stdexcept>

#include "disk/file_descriptor.hpp"

namespace casserole::disk {

// Another live process holds the directory.
class DirectoryInUse : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class DirectoryLock {
 public:
  // Creates the directory if needed. Throws DirectoryInUse when another process holds it, and
  // std::system_error when the directory or the lock file cannot be used.
  explicit DirectoryLock(const std::filesystem::path& dir);

 private:
  FileDescriptor file_;
};

}  // namespace casserole::disk
