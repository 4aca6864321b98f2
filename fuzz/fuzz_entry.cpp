// libFuzzer target for the disk cache's entry header, which is read back from files that may be
// torn, truncated or not ours. Besides the sanitizers' checks it asserts the parser's contract:
// a header it accepts encodes back to exactly the bytes it was parsed from.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "disk/entry_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto bytes = std::as_bytes(std::span(data, size));
  auto header = casserole::disk::parse_header(bytes);
  if (!header) return 0;
  std::string encoded = casserole::disk::encode_header(*header);
  if (encoded.size() != header->payload_offset() || encoded.size() > size ||
      std::memcmp(encoded.data(), data, encoded.size()) != 0) {
    std::abort();
  }
  return 0;
}
