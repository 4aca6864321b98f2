#include "disk/entry_format.hpp"

// The streaming state is allocated in place, which needs its definition.
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <array>
#include <cstring>

namespace casserole::disk {
namespace {

constexpr std::array<char, 8> kMagic = {'C', 'S', 'R', 'E', 'N', 'T', '0', '1'};

// Little-endian whatever the host, so a cache directory means the same on every machine.
void put_u32(std::string& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}
void put_u64(std::string& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}
std::uint64_t get(std::span<const std::byte> bytes, std::size_t offset, int width) {
  std::uint64_t value = 0;
  for (int i = 0; i < width; ++i) {
    value |= std::uint64_t(std::to_integer<unsigned char>(bytes[offset + i])) << (8 * i);
  }
  return value;
}

constexpr std::size_t kChecksumOffset = 32;

std::uint64_t header_checksum(const void* fixed, std::string_view key) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, fixed, kChecksumOffset);
  XXH3_64bits_update(&state, key.data(), key.size());
  return XXH3_64bits_digest(&state);
}

}  // namespace

std::string encode_header(const EntryHeader& header) {
  std::string out(kMagic.begin(), kMagic.end());
  put_u32(out, static_cast<std::uint32_t>(header.key.size()));
  put_u32(out, 0);  // reserved
  put_u64(out, header.payload_size);
  put_u64(out, header.payload_checksum);
  put_u64(out, header_checksum(out.data(), header.key));
  out += header.key;
  return out;
}

std::optional<EntryHeader> parse_header(std::span<const std::byte> bytes) {
  if (bytes.size() < EntryHeader::kFixedSize) return std::nullopt;
  if (std::memcmp(bytes.data(), kMagic.data(), kMagic.size()) != 0) return std::nullopt;
  std::uint64_t key_size = get(bytes, 8, 4);
  if (get(bytes, 12, 4) != 0 || key_size > EntryHeader::kMaxKeySize ||
      bytes.size() - EntryHeader::kFixedSize < key_size) {
    return std::nullopt;
  }
  EntryHeader header;
  header.key.assign(reinterpret_cast<const char*>(bytes.data()) + EntryHeader::kFixedSize,
                    key_size);
  header.payload_size = get(bytes, 16, 8);
  header.payload_checksum = get(bytes, 24, 8);
  if (get(bytes, kChecksumOffset, 8) != header_checksum(bytes.data(), header.key)) {
    return std::nullopt;
  }
  return header;
}

struct Checksum::State {
  XXH3_state_t xxh;
};

Checksum::Checksum() : state_(std::make_unique<State>()) {
  XXH3_64bits_reset(&state_->xxh);
}

Checksum::~Checksum() = default;

void Checksum::update(std::span<const std::byte> bytes) {
  XXH3_64bits_update(&state_->xxh, bytes.data(), bytes.size());
}

std::uint64_t Checksum::value() const {
  return XXH3_64bits_digest(&state_->xxh);
}

std::uint64_t Checksum::of(std::span<const std::byte> bytes) {
  return XXH3_64bits(bytes.data(), bytes.size());
}

std::uint64_t entry_id(std::string_view key) {
  return XXH3_64bits(key.data(), key.size());
}

}  // namespace casserole::disk
