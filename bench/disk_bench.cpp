// casserole_disk_bench: the disk tier's figures, each next to what it is worth comparing with.
//
//   casserole_disk_bench [--size=MiB] [--entries=N]
//
// 1. Disk hits: an object cached on disk is downloaded right after a restart (memory empty, so
//    every segment is sent from its file), next to nginx sending the same file from its docroot,
//    in the same run with the page cache warm for both. The timed downloads are curl's to
//    /dev/null, since hashing in the client would be the slowest part; one more download from
//    each is checked by digest.
// 2. Start-up: how long a node takes to listen, and to index, with N entries on disk; and how
//    long the first request takes meanwhile.
// 3. The disk index's memory per entry.
// Progress goes to stderr, figures to stdout.
#include <malloc.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "disk/disk_index.hpp"
#include "disk/entry_files.hpp"
#include "disk/entry_format.hpp"
#include "support/casserole_node.hpp"
#include "support/http_client.hpp"
#include "support/nginx_origin.hpp"
#include "support/pattern.hpp"
#include "support/temp_dir.hpp"

namespace casserole::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr std::uint64_t kSegment = 2 * kMiB;
constexpr int kRuns = 5;
constexpr std::size_t kIndexEntries = 1'000'000;
constexpr std::size_t kStartupPayload = 4096;

struct Options {
  std::uint64_t size_mib = 256;
  std::size_t entries = 50'000;
};

std::optional<std::uint64_t> number_after(std::string_view arg, std::string_view flag) {
  if (arg.substr(0, flag.size()) != flag) return std::nullopt;
  std::uint64_t value = 0;
  auto text = arg.substr(flag.size());
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0) return std::nullopt;
  return value;
}

double seconds_since(Clock::time_point began) {
  return std::chrono::duration<double>(Clock::now() - began).count();
}

// Downloads the object and checks it by digest.
void check(const std::string& url, std::uint64_t size, const std::string& sha256) {
  test::HttpClient client;
  test::Response response = client.perform({.url = url, .keep_body = false, .timeout_ms = 120000});
  if (response.curl_code != 0 || response.status != 200 || response.body_size != size ||
      response.body_sha256 != sha256) {
    throw std::runtime_error("GET " + url + " did not return the object: status " +
                             std::to_string(response.status) + " " + response.error);
  }
}

// Downloads the object with curl to /dev/null; returns MiB/s. When `want_source` is given, the
// answer must say it came from there.
double timed_download(const std::string& url, std::uint64_t size,
                      const std::string& want_source = "") {
  std::string command =
      "curl -s -o /dev/null -w '%{http_code} %{size_download} %{time_total} "
      "%header{x-casserole-source}' '" +
      url + "'";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run curl");
  char line[256] = {};
  std::string out = std::fgets(line, sizeof line, pipe) ? line : "";
  ::pclose(pipe);
  unsigned status = 0;
  unsigned long long bytes = 0;
  double seconds = 0;
  char source[64] = {};
  int fields = std::sscanf(out.c_str(), "%u %llu %lf %63s", &status, &bytes, &seconds, source);
  if (fields < 3 || status != 200 || bytes != size || seconds <= 0) {
    throw std::runtime_error("curl " + url + " failed: " + out);
  }
  if (!want_source.empty() && want_source != source) {
    throw std::runtime_error("GET " + url + " came from " + source + ", not " + want_source);
  }
  return static_cast<double>(size) / kMiB / seconds;
}

std::size_t files_under(const fs::path& dir) {
  std::size_t count = 0;
  if (!fs::exists(dir)) return 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) count += entry.is_regular_file();
  return count;
}

void disk_hits(const Options& options) {
  test::NginxOrigin origin;
  const std::uint64_t size = options.size_mib * kMiB;
  test::write_pattern_file(origin.docroot() / "object.bin", 7, size);
  const std::string sha256 = test::pattern_sha256(7, 0, size);
  test::CasseroleNode node({"--mirror-url=" + origin.url(), "--max-memory-usage=64M",
                            "--max-disk-usage=" + std::to_string(2 * size / kMiB + 64) + "M",
                            "--cleaned-disk-usage=" + std::to_string(size / kMiB + 64) + "M"});
  const std::string url = node.url() + "/object.bin";
  check(url, size, sha256);
  const std::size_t entries = (size + kSegment - 1) / kSegment + 1;
  for (int i = 0; i < 600 && (files_under(node.dir() / "data" / "entries") < entries ||
                              files_under(node.dir() / "data" / "tmp") > 0);
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::vector<double> casserole, nginx;
  for (int run = 0; run < kRuns; ++run) {
    node.restart();
    casserole.push_back(timed_download(url, size, "disk"));
    nginx.push_back(timed_download(origin.url() + "/object.bin", size));
  }
  node.restart();
  check(url, size, sha256);
  std::sort(casserole.begin(), casserole.end());
  std::sort(nginx.begin(), nginx.end());
  double c = casserole[kRuns / 2], n = nginx[kRuns / 2];
  std::printf(
      "disk hit, %llu MiB object, median of %d (MiB/s): casserole %.0f, nginx %.0f, "
      "ratio %.2f\n",
      static_cast<unsigned long long>(options.size_mib), kRuns, c, n, c / n);
}

void startup(const Options& options) {
  test::TempDir dir;
  const fs::path data = dir.path() / "data";
  disk::EntryFiles files(data);
  files.prepare();
  const std::string payload(kStartupPayload, 'p');
  const auto bytes = std::as_bytes(std::span(payload.data(), payload.size()));
  auto began = Clock::now();
  for (std::size_t i = 0; i < options.entries; ++i) {
    std::string key =
        "seg /bench/" + std::to_string(i / 64) + ".bin \"v\" 2097152 " + std::to_string(i % 64);
    files.write(disk::entry_id(key), key, bytes);
  }
  std::cerr << "wrote " << options.entries << " entries in " << seconds_since(began) << " s\n";

  test::NginxOrigin origin;
  test::write_pattern_file(origin.docroot() / "small.bin", 3, 64 * 1024);
  began = Clock::now();
  test::CasseroleNode node({"--mirror-url=" + origin.url(), "--disk-cache-dir=" + data.string(),
                            "--max-disk-usage=100G", "--cleaned-disk-usage=90G"});
  double listening = seconds_since(began);
  test::HttpClient client;
  test::Response first = client.perform({.url = node.url() + "/small.bin", .keep_body = false});
  if (first.status != 200 || first.body_sha256 != test::pattern_sha256(3, 0, 64 * 1024)) {
    throw std::runtime_error("the first request during indexing failed");
  }
  double first_request = seconds_since(began);
  // The node says "... <dir>: <N> entries, <M> MiB, indexed in <T> ms" once it is done.
  constexpr std::string_view kDone = " MiB, indexed in ";
  std::string log;
  std::size_t at = std::string::npos;
  for (int i = 0; i < 600 && (at = (log = node.log()).find(kDone)) == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (at == std::string::npos)
    throw std::runtime_error("the node never reported its index:\n" + log);
  const std::size_t figures = log.rfind(": ", at) + 2;
  unsigned long long entries = 0, mib = 0, ms = 0;
  std::sscanf(log.c_str() + figures, "%llu entries, %llu MiB, indexed in %llu ms", &entries, &mib,
              &ms);
  std::printf(
      "start-up with %llu entries on disk: listening after %.0f ms, first request answered "
      "after %.0f ms, indexed in %llu ms\n",
      entries, listening * 1000, first_request * 1000, ms);
}

void index_memory() {
  const std::size_t before = mallinfo2().uordblks;
  {
    disk::DiskIndex index;
    const auto now = disk::DiskIndex::Clock::now();
    for (std::size_t i = 0; i < kIndexEntries; ++i)
      index.insert(i * 0x9e3779b97f4a7c15ULL, 4096, now);
    const std::size_t after = mallinfo2().uordblks;
    std::printf("disk index: %.1f bytes of memory per entry (%zu entries)\n",
                static_cast<double>(after - before) / kIndexEntries, kIndexEntries);
  }
}

}  // namespace
}  // namespace casserole::bench

int main(int argc, char** argv) {
  casserole::bench::Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (auto size = casserole::bench::number_after(arg, "--size=")) {
      options.size_mib = *size;
    } else if (auto entries = casserole::bench::number_after(arg, "--entries=")) {
      options.entries = *entries;
    } else {
      std::cerr << "usage: casserole_disk_bench [--size=MiB] [--entries=N]\n";
      return 2;
    }
  }
  try {
    casserole::bench::index_memory();
    casserole::bench::startup(options);
    casserole::bench::disk_hits(options);
  } catch (const std::exception& error) {
    std::cerr << "casserole_disk_bench: " << error.what() << "\n";
    return 1;
  }
}
