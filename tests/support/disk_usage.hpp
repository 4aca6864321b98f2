// Disk usage as `du -s --block-size=1` counts it, the figure a node's --max-disk-usage bounds:
// st_blocks * 512 summed over a path and everything below it, directories included, symbolic
// links not followed, a file with several hard links counted once.
//
// The walk tolerates a node changing the tree meanwhile: an entry that vanishes between being
// listed and being examined counts as nothing. A missing path is 0.
#pragma once

#include <cstdint>
#include <filesystem>

namespace casserole::test {

std::uint64_t disk_usage(const std::filesystem::path& path);

}  // namespace casserole::test
