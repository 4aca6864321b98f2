// libFuzzer target for the etcd gateway's answers (src/cluster/etcd_protocol), which come from
// the network. The first input byte picks the parser (byte % 5, so the corpus can use the digits
// '0'..'4'); the rest is the answer. Besides the sanitizers' checks, each case asserts the
// contract stated in etcd_protocol.hpp: an answer is parsed or rejected with an etcd::Error,
// never anything else, and what is accepted is what the header promises.

// Boost.JSON compiled in, so that it is instrumented like the parsers that use it.
#include <algorithm>
#include <boost/json/src.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "cluster/etcd_protocol.hpp"
#include "first_byte_picks.hpp"

namespace {

using namespace casserole::cluster::etcd;

void check(bool condition) {
  if (!condition) std::abort();
}

void fuzz_watch_message(std::string_view line) {
  parse_watch_message(line);
}

void fuzz_range(std::string_view answer) {
  const Range range = parse_range(answer);
  check(range.revision > 0);
}

void fuzz_grant(std::string_view answer) {
  const Lease lease = parse_grant(answer);
  check(lease.id != 0 && lease.ttl > 0);
}

void fuzz_keep_alive(std::string_view answer) {
  check(parse_keep_alive(answer) >= 0);
}

// Every key that starts with the prefix sorts before its end, which sorts after the prefix.
void fuzz_prefix_end(std::string_view prefix) {
  const std::string end = prefix_end(prefix);
  if (end == std::string(1, '\0')) return;
  // As etcd orders keys: bytewise, unsigned.
  const auto before = [](std::string_view a, std::string_view b) {
    const int order = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
    return order < 0 || (order == 0 && a.size() < b.size());
  };
  check(before(prefix, end));
  check(before(std::string(prefix) + "\xff\xff\xff", end));
}

}  // namespace

constexpr std::array<casserole::fuzz::Target, 5> kTargets{
    fuzz_watch_message, fuzz_range, fuzz_grant, fuzz_keep_alive, fuzz_prefix_end};

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    casserole::fuzz::run_picked(data, size, kTargets);
  } catch (const Error&) {
    // Rejected as the contract says; any other exception escapes and fails the run.
  }
  return 0;
}
