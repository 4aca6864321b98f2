// SHA-256 digests (OpenSSL EVP) as lower-case hex, the form every test compares.
//
// Sha256 digests a stream fed in pieces, so bodies of any size are checked without keeping
// them; hex_final() ends the digest and may be called once.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace casserole::test {

class Sha256 {
 public:
  Sha256();

  void update(const void* data, std::size_t size);
  std::string hex_final();

 private:
  struct Free {
    void operator()(evp_md_ctx_st* context) const;
  };
  std::unique_ptr<evp_md_ctx_st, Free> context_;
};

std::string sha256_hex(std::string_view data);

}  // namespace casserole::test
