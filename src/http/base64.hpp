// Base64 (RFC 4648, standard alphabet, padded), for field values and JSON strings that carry
// bytes: the metadata record a peer request carries, etcd's keys and values. Decoding accepts
// only the one canonical encoding of some bytes, so that a text means one thing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace casserole::http {

std::string encode_base64(std::string_view bytes);
// nullopt for anything but the canonical padded encoding of some bytes.
std::optional<std::string> decode_base64(std::string_view text);

}  // namespace casserole::http
