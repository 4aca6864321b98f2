#include "support/tmpfs_mount.hpp"

#include <sys/mount.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace casserole::test {

TmpfsMount::TmpfsMount(std::uint64_t size_bytes) {
  const std::string options = "size=" + std::to_string(size_bytes) + ",mode=0700";
  if (::mount("tmpfs", dir_.path().c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
    throw std::system_error(errno, std::generic_category(),
                            "mount tmpfs (" + options + ") on " + dir_.path().string());
  }
}

TmpfsMount::~TmpfsMount() {
  // Failure leaves a mount behind that the TempDir cannot remove; a destructor has no better
  // recourse, and the lazy detach does not fail for a mount we made.
  ::umount2(dir_.path().c_str(), MNT_DETACH);
}

}  // namespace casserole::test
