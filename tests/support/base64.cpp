#include "support/base64.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace casserole::test {

std::string encode_base64(std::string_view bytes) {
  // EVP_EncodeBlock ends the text with a NUL.
  std::string text(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  text.resize(static_cast<std::size_t>(n));
  return text;
}

std::string decode_base64(std::string_view text) {
  std::string bytes(3 * (text.size() / 4), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  // EVP_DecodeBlock counts the padding as zero bytes of output.
  const std::size_t padding = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
  if (n < 0 || static_cast<std::size_t>(n) < padding) {
    throw std::runtime_error("not base64: " + std::string(text));
  }
  bytes.resize(static_cast<std::size_t>(n) - padding);
  return bytes;
}

}  // namespace casserole::test
