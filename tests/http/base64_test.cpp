#include "http/base64.hpp"

#include <gtest/gtest.h>

#include <string>

namespace casserole::http {
namespace {

TEST(Base64, KnownEncodings) {
  EXPECT_EQ(encode_base64(""), "");
  EXPECT_EQ(encode_base64("a"), "YQ==");
  EXPECT_EQ(encode_base64("ab"), "YWI=");
  EXPECT_EQ(encode_base64("/c/n/a"), "L2Mvbi9h");
  EXPECT_EQ(encode_base64("any carnal pleas"), "YW55IGNhcm5hbCBwbGVhcw==");
}

TEST(Base64, EveryLengthAndByteRoundTrips) {
  std::string bytes;
  for (int i = 0; i < 600; ++i) {
    auto encoded = encode_base64(bytes);
    EXPECT_EQ(encoded.size() % 4, 0u);
    EXPECT_EQ(decode_base64(encoded), bytes) << i;
    bytes += static_cast<char>(i * 37);
  }
}

TEST(Base64, OnlyTheCanonicalPaddedEncodingIsAccepted) {
  for (const char* text : {"abc", "ab=c", "a===", "====", "YQ==YQ==", "@@@@", "YQ-_",
                           "Y Q=", " YQ==", "YQ==\n", "YW55\nIGNh", "YQ=A", "YR==", "YWJ="}) {
    EXPECT_FALSE(decode_base64(text)) << text;
  }
}

}  // namespace
}  // namespace casserole::http
