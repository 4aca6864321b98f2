// The deterministic object content shared by the test origins and the tests.
//
// Byte `offset` of the pattern for `seed` is a pure function of (seed, offset), so any range of
// a multi-gigabyte object can be produced, written or digested without storing the object, and
// the bytes a client received can be checked against the digest of the same range.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace casserole::test {

// Fills `out` with the pattern bytes [offset, offset + out.size()) for `seed`.
void fill_pattern(std::uint64_t seed, std::uint64_t offset, std::span<std::uint8_t> out);

// Writes the first `size` pattern bytes for `seed` to `path` (replacing it); throws on I/O error.
void write_pattern_file(const std::filesystem::path& path, std::uint64_t seed, std::uint64_t size);

// Lower-case hex SHA-256 of the pattern bytes [first, first + length) for `seed`.
std::string pattern_sha256(std::uint64_t seed, std::uint64_t first, std::uint64_t length);

}  // namespace casserole::test
