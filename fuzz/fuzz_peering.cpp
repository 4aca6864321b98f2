// libFuzzer target for what a node reads from its peers (src/peering/peer_protocol and the
// metadata record of src/mirror/meta_record): a peer request's target, the base64 of its
// X-Casserole-Meta field, and the record inside. The first input byte picks the parser
// (byte % 3, so the corpus can use the digits '0'..'2'); the rest is the input. Besides the
// sanitizers' checks, each case asserts a round trip: what is accepted encodes back to itself.

// Boost.JSON and Boost.URL compiled in, so that they are instrumented like the parsers using them.
#include <boost/json/src.hpp>
#include <boost/url/src.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "first_byte_picks.hpp"
#include "http/base64.hpp"
#include "mirror/meta_record.hpp"
#include "peering/peer_protocol.hpp"

namespace {

using namespace casserole;

void check(bool condition) {
  if (!condition) std::abort();
}

void fuzz_request_target(std::string_view target) {
  auto request = peering::parse_request_target(target);
  if (!request) return;
  auto again = peering::parse_request_target(peering::request_target(*request));
  check(again && again->kind == request->kind && again->target == request->target &&
        again->index == request->index && again->scope == request->scope);
}

void fuzz_base64(std::string_view text) {
  auto bytes = http::decode_base64(text);
  if (bytes) check(http::encode_base64(*bytes) == text);
}

void fuzz_meta_record(std::string_view record) {
  auto meta = mirror::decode_meta_record(record, upstream::StoreRules{});
  if (!meta) return;
  auto again =
      mirror::decode_meta_record(mirror::encode_meta_record(*meta), upstream::StoreRules{});
  check(again && again->status() == meta->status() && again->headers() == meta->headers() &&
        again->cacheable() == meta->cacheable() && again->version() == meta->version());
}

}  // namespace

constexpr std::array<casserole::fuzz::Target, 3> kTargets{fuzz_request_target, fuzz_base64,
                                                          fuzz_meta_record};

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  casserole::fuzz::run_picked(data, size, kTargets);
  return 0;
}
