// EntryFormat: the bytes of one disk cache file. A header names the entry (its full key) and
// carries the payload's size and checksum; the header has a checksum of its own, so a torn,
// truncated or foreign file is told apart from an entry before any payload byte is trusted, and
// two keys whose file names collide are told apart too. The payload follows the header as is, so
// it can be sent straight from the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace casserole::disk {

struct EntryHeader {
  std::string key;
  std::uint64_t payload_size = 0;
  std::uint64_t payload_checksum = 0;

  // Where the payload starts in the file.
  std::uint64_t payload_offset() const { return kFixedSize + key.size(); }

  static constexpr std::size_t kFixedSize = 40;
  static constexpr std::size_t kMaxKeySize = 16 * 1024;
};

// The header's bytes. Precondition: key.size() <= kMaxKeySize.
std::string encode_header(const EntryHeader& header);
// The header at the start of `bytes`, or nullopt unless they begin with a complete, intact header.
std::optional<EntryHeader> parse_header(std::span<const std::byte> bytes);

// A payload's checksum, computed in one piece or incrementally with the same result.
class Checksum {
 public:
  Checksum();
  ~Checksum();
  Checksum(const Checksum&) = delete;
  Checksum& operator=(const Checksum&) = delete;

  void update(std::span<const std::byte> bytes);
  std::uint64_t value() const;

  static std::uint64_t of(std::span<const std::byte> bytes);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The file name an entry is stored under: a hash of its key.
std::uint64_t entry_id(std::string_view key);

}  // namespace casserole::disk
