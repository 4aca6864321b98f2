// One fuzzer binary, several parsers: the input's first byte picks the parser (byte % N, so a
// corpus file can start with a digit) and the rest is that parser's input.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace casserole::fuzz {

using Target = void (*)(std::string_view input);

template <std::size_t N>
void run_picked(const std::uint8_t* data, std::size_t size, const std::array<Target, N>& targets) {
  if (size == 0) return;
  targets[data[0] % N](std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
}

}  // namespace casserole::fuzz
