// Headless Chromium (Debian's /usr/bin/chromium): the tests' browser for pages whose JavaScript
// must run before they are checked.
//
// Each call starts a fresh browser with a profile of its own in a 1280x1000 window, lets the page
// run for `virtual_time` of Chromium's virtual time (which stands still while requests are in
// flight, so a page's fetches finish first), and ends it within a minute of real time. Both
// throw std::runtime_error, quoting Chromium's output, if it is not installed, fails or overruns.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

namespace casserole::test {

// The DOM as serialised after the page's scripts ran, not the HTML that was served.
std::string chromium_dump_dom(const std::string& url,
                              std::chrono::milliseconds virtual_time = std::chrono::seconds(3));

// Writes a PNG of the window to `png`.
void chromium_screenshot(const std::string& url, const std::filesystem::path& png,
                         std::chrono::milliseconds virtual_time = std::chrono::seconds(3));

}  // namespace casserole::test
