#include "support/chromium.hpp"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace casserole::test {
namespace {

constexpr const char* kChromium = "/usr/bin/chromium";
constexpr auto kRunTimeout = std::chrono::seconds(60);

// Runs Chromium on `url` with `action` (--dump-dom, --screenshot=...) until it exits; returns
// what it wrote to stdout.
std::string run_chromium(const std::string& action, const std::string& url,
                         std::chrono::milliseconds virtual_time) {
  if (!std::filesystem::exists(kChromium)) {
    throw std::runtime_error(std::string(kChromium) +
                             " is missing: these tests need Debian's chromium package, which "
                             "scripts/setup.sh installs");
  }
  TempDir dir;
  const auto stdout_file = dir.path() / "stdout";
  // Process logs stderr with stdout, and Chromium's stderr is full of complaints (no D-Bus, no
  // GPU) that would be mixed into a dumped DOM; a shell gives stdout a file of its own.
  std::vector<std::string> argv = {"/bin/sh",
                                   "-c",
                                   "exec \"$@\" >\"$0\"",
                                   stdout_file.string(),
                                   kChromium,
                                   "--headless",
                                   "--disable-gpu",
                                   "--hide-scrollbars",
                                   "--window-size=1280,1000",
                                   "--user-data-dir=" + (dir.path() / "profile").string(),
                                   "--virtual-time-budget=" + std::to_string(virtual_time.count())};
  // Chromium refuses to start its sandbox as root.
  if (::geteuid() == 0) argv.push_back("--no-sandbox");
  argv.push_back(action);
  argv.push_back(url);
  Process chromium(argv, dir.path() / "chromium.log");
  const auto exit_code = chromium.wait_exit(kRunTimeout);
  if (exit_code != 0) {
    chromium.stop();
    throw std::runtime_error(
        "chromium " + action + " " + url +
        (exit_code ? " exited with code " + std::to_string(*exit_code) : " did not finish") +
        "; its output:\n" + chromium.log());
  }
  std::ifstream file(stdout_file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

}  // namespace

std::string chromium_dump_dom(const std::string& url, std::chrono::milliseconds virtual_time) {
  return run_chromium("--dump-dom", url, virtual_time);
}

void chromium_screenshot(const std::string& url, const std::filesystem::path& png,
                         std::chrono::milliseconds virtual_time) {
  run_chromium("--screenshot=" + png.string(), url, virtual_time);
  if (!std::filesystem::exists(png)) {
    throw std::runtime_error("chromium wrote no screenshot of " + url + " to " + png.string());
  }
}

}  // namespace casserole::test
