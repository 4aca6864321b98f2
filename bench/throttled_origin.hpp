// The throttled upstream of the benchmark: an nginx origin serving another origin's docroot
// (same files, so the same ETag and Last-Modified) with each accepted connection paced to
// `bytes_per_second` by the kernel from its first byte, as an object store serves a connection.
//
// The pace comes from libcasserole_pacing.so (pacing_shim.cpp), preloaded into this nginx only.
// Nothing here checks the pace: the benchmark measures it with a plain download first.
// Construction throws, with nginx's error log, if nginx does not come up.
#pragma once

#include <cstdint>
#include <filesystem>

#include "support/nginx_origin.hpp"

namespace casserole::bench {

test::NginxOrigin start_throttled_origin(const std::filesystem::path& docroot,
                                         std::uint64_t bytes_per_second);

}  // namespace casserole::bench
