// EntryFiles: the blocking file work of the disk tier, meant to run on its thread pool and never
// on the thread that serves sockets. An entry lives at <dir>/entries/<2 hex>/<16 hex>, named by
// entry_id(key). A write goes to <dir>/tmp/ and is renamed into place complete, so no partial
// entry is ever visible under an entry's name. There is no fsync: only a power loss can tear a
// renamed file, and the checksums catch that on read. Every read verifies the header, the key and
// the payload checksum (open() may trust an earlier check of the same unchanged file); a damaged
// file is deleted and reported as such, never returned.
// I/O errors are thrown as std::system_error. Safe to call from several threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "disk/entry_format.hpp"
#include "disk/file_descriptor.hpp"

namespace casserole::disk {

// An entry's payload in an open file, verified when opened. The file stays readable while this
// lives, even if the entry is removed or replaced meanwhile.
struct OpenEntry {
  FileDescriptor file;
  std::uint64_t payload_offset = 0;
  std::uint64_t payload_size = 0;
  std::uint64_t allocated = 0;  // bytes the file occupies on disk
  // The file as it was opened (device, inode, size, modification and change times, hashed):
  // the same identity later means the same bytes, unless someone wrote them with no trace.
  std::uint64_t identity = 0;
};

class EntryFiles {
 public:
  explicit EntryFiles(std::filesystem::path dir);

  // Creates the directory tree and clears what interrupted writes left in tmp/.
  void prepare() const;

  enum class Found { yes, absent, damaged };

  // A directory's size as measured, with the order of that measurement among all of this
  // object's: measurements made on several threads arrive out of order, and only a later one
  // may replace an earlier one. A measurement sees every rename measured before it.
  struct DirectorySize {
    std::uint64_t allocated = 0;
    std::uint64_t measured = 0;  // 0: never measured, older than any measurement
  };

  struct Written {
    std::uint64_t allocated = 0;  // bytes the new file occupies
    DirectorySize dir;            // its directory, measured after the rename
  };
  Written write(std::uint64_t id, std::string_view key, std::span<const std::byte> payload) const;

  // Opens and verifies the entry; `entry` is set only when the result is Found::yes. When the file
  // still has the identity `verified` (one a verified open reported), its payload is trusted
  // without being read through again; its header, key and size are checked all the same.
  Found open(std::uint64_t id, std::string_view key, OpenEntry& entry,
             std::uint64_t verified = 0) const;
  // Reads the payload into `into` (which must be exactly as large) and verifies it.
  Found read(std::uint64_t id, std::string_view key, std::span<std::byte> into) const;
  // Reads the payload of an entry of at most `limit` bytes.
  Found load(std::uint64_t id, std::string_view key, std::size_t limit, std::string& into) const;

  void remove(std::uint64_t id) const;
  // Records a use in the file's modification time: recency that survives a restart.
  void touch(std::uint64_t id) const;

  struct Scanned {
    std::uint64_t id = 0;
    std::uint64_t allocated = 0;
    std::chrono::system_clock::time_point used;
  };
  struct Scan {
    std::vector<Scanned> entries;
    std::uint64_t fixed_allocated = 0;  // directories and the lock: what is not an entry
    std::vector<DirectorySize> dirs;    // per entries/ subdirectory, by index
  };
  // Everything in entries/; files that cannot be entries are removed.
  Scan scan() const;

  std::uint64_t block_size() const;
  static constexpr unsigned kSubdirectories = 256;
  static unsigned subdirectory_of(std::uint64_t id) { return id >> 56; }

 private:
  // An entry whose header is sound and names `key`; its payload is not verified yet.
  struct Located {
    FileDescriptor file;
    EntryHeader header;
    std::uint64_t allocated = 0;
    std::uint64_t identity = 0;
  };
  Found locate(std::uint64_t id, std::string_view key, Located& located) const;
  // Reads the payload through, in pieces, to its checksum.
  bool payload_intact(std::uint64_t id, const Located& located) const;
  Found discard(std::uint64_t id) const;
  std::filesystem::path path_of(std::uint64_t id) const;
  std::uint64_t next_measurement() const { return ++measurements_; }

  std::filesystem::path dir_;
  std::filesystem::path entries_;
  std::filesystem::path tmp_;
  mutable std::atomic<std::uint64_t> next_tmp_{0};
  mutable std::atomic<std::uint64_t> measurements_{0};
};

}  // namespace casserole::disk
