#include "http/base64.hpp"

#include <openssl/evp.h>

namespace casserole::http {

std::string encode_base64(std::string_view bytes) {
  // EVP_EncodeBlock writes a terminating NUL after the text.
  std::string text(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  text.resize(static_cast<std::size_t>(n));
  return text;
}

std::optional<std::string> decode_base64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string bytes(3 * (text.size() / 4), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes of output.
  std::size_t padding = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
  if (static_cast<std::size_t>(n) < padding) return std::nullopt;
  bytes.resize(static_cast<std::size_t>(n) - padding);
  // It also takes '=' inside the text, leading and trailing blanks, and stray low bits; the
  // round trip refuses all of them.
  if (encode_base64(bytes) != text) return std::nullopt;
  return bytes;
}

}  // namespace casserole::http
