// Base64 (OpenSSL EVP) for the tests' own clients: etcd's JSON gateway and the peering protocol
// carry bytes as base64, and the tests must not borrow the node's code to write or read them.
#pragma once

#include <string>
#include <string_view>

namespace casserole::test {

std::string encode_base64(std::string_view bytes);
// Throws std::runtime_error for text that is not base64.
std::string decode_base64(std::string_view text);

}  // namespace casserole::test
