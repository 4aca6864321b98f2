// A tmpfs of a fixed size mounted on a fresh directory: a filesystem a test can fill up.
//
// Mounting needs CAP_SYS_ADMIN; construction throws std::system_error (generic category, so
// `error.code() == std::errc::operation_not_permitted` identifies the unprivileged case, for the
// caller to skip). The destructor detaches the mount (MNT_DETACH: it goes once nothing uses it,
// even if a process still holds a file there) and removes the directory. Neither copyable nor
// movable: the mount point's lifetime is this object's.
#pragma once

#include <cstdint>
#include <filesystem>

#include "support/temp_dir.hpp"

namespace casserole::test {

class TmpfsMount {
 public:
  explicit TmpfsMount(std::uint64_t size_bytes);
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;
  ~TmpfsMount();

  const std::filesystem::path& path() const { return dir_.path(); }

 private:
  TempDir dir_;
};

}  // namespace casserole::test
