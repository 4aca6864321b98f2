// A private directory for one test's files, removed with everything in it on destruction.
//
// Created with mkdtemp under $TMPDIR (or /tmp). Movable; a moved-from TempDir owns nothing.
#pragma once

#include <filesystem>

namespace casserole::test {

class TempDir {
 public:
  TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  ~TempDir();

  const std::filesystem::path& path() const { return path_; }

 private:
  void remove() noexcept;

  std::filesystem::path path_;
};

}  // namespace casserole::test
