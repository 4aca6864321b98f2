#include "support/pattern.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "support/sha256.hpp"

namespace casserole::test {
namespace {

constexpr std::size_t kChunk = 1 << 20;

// splitmix64's finaliser over a (seed, word index) pair: cheap enough for several GB/s and
// different for every word, so a misplaced or repeated range never matches by accident.
inline std::uint64_t pattern_word(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed * 0xD1B54A32D192ED03ULL + index * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Words are laid out little-endian whatever the host, so files compare across machines.
inline void store_word(std::uint64_t word, std::uint8_t* out) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(out, &word, sizeof word);
  } else {
    for (int i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(word >> (8 * i));
  }
}

}  // namespace

void fill_pattern(std::uint64_t seed, std::uint64_t offset, std::span<std::uint8_t> out) {
  std::uint8_t* dst = out.data();
  std::size_t left = out.size();
  std::uint64_t index = offset / 8;
  if (const std::size_t skip = offset % 8; skip != 0 && left > 0) {
    std::uint8_t word[8];
    store_word(pattern_word(seed, index++), word);
    const std::size_t n = std::min(left, 8 - skip);
    std::memcpy(dst, word + skip, n);
    dst += n;
    left -= n;
  }
  for (; left >= 8; dst += 8, left -= 8) store_word(pattern_word(seed, index++), dst);
  if (left > 0) {
    std::uint8_t word[8];
    store_word(pattern_word(seed, index), word);
    std::memcpy(dst, word, left);
  }
}

void write_pattern_file(const std::filesystem::path& path, std::uint64_t seed, std::uint64_t size) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  std::vector<std::uint8_t> buffer(kChunk);
  for (std::uint64_t done = 0; file && done < size;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, size - done));
    fill_pattern(seed, done, std::span(buffer.data(), n));
    file.write(reinterpret_cast<const char*>(buffer.data()), static_cast<std::streamsize>(n));
    done += n;
  }
  file.close();
  if (!file) throw std::runtime_error("cannot write pattern file " + path.string());
}

std::string pattern_sha256(std::uint64_t seed, std::uint64_t first, std::uint64_t length) {
  Sha256 digest;
  std::vector<std::uint8_t> buffer(kChunk);
  for (std::uint64_t done = 0; done < length;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, length - done));
    fill_pattern(seed, first + done, std::span(buffer.data(), n));
    digest.update(buffer.data(), n);
    done += n;
  }
  return digest.hex_final();
}

}  // namespace casserole::test
