#include "disk/entry_format.hpp"

#include <gtest/gtest.h>

#include <string>

namespace casserole::disk {
namespace {

std::span<const std::byte> bytes_of(const std::string& text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

EntryHeader sample() {
  return EntryHeader{.key = "seg /a/b.bin \"v1\" 2097152 7",
                     .payload_size = 2097152,
                     .payload_checksum = 0x0123456789abcdefULL};
}

TEST(EntryFormat, HeaderRoundTrips) {
  std::string bytes = encode_header(sample());
  EXPECT_EQ(bytes.size(), sample().payload_offset());
  auto parsed = parse_header(bytes_of(bytes + "payload follows"));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->key, sample().key);
  EXPECT_EQ(parsed->payload_size, sample().payload_size);
  EXPECT_EQ(parsed->payload_checksum, sample().payload_checksum);
}

TEST(EntryFormat, EveryFlippedHeaderByteIsCaught) {
  std::string good = encode_header(sample());
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_FALSE(parse_header(bytes_of(bad))) << "byte " << i;
  }
}

TEST(EntryFormat, TruncatedHeaderIsRejected) {
  std::string good = encode_header(sample());
  for (std::size_t size = 0; size < good.size(); ++size) {
    EXPECT_FALSE(parse_header(bytes_of(good.substr(0, size)))) << "size " << size;
  }
}

TEST(EntryFormat, ChecksumIsTheSameInPieces) {
  std::string payload(100000, 'x');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 31);
  Checksum pieces;
  pieces.update(bytes_of(payload.substr(0, 333)));
  pieces.update(bytes_of(payload.substr(333)));
  EXPECT_EQ(pieces.value(), Checksum::of(bytes_of(payload)));
  payload[5000] ^= 1;
  EXPECT_NE(pieces.value(), Checksum::of(bytes_of(payload)));
}

TEST(EntryFormat, EntryIdDependsOnTheWholeKey) {
  EXPECT_EQ(entry_id("seg /a 1"), entry_id("seg /a 1"));
  EXPECT_NE(entry_id("seg /a 1"), entry_id("seg /a 2"));
}

}  // namespace
}  // namespace casserole::disk
