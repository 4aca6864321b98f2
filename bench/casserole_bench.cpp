// casserole_bench: Casserole and nginx's slice cache in front of the same nginx origin, measured
// in the same run, so that the ratios compare like with like on whatever machine runs them.
//
//   casserole_bench [--size=MiB]
//
// Each cache is measured cold and warm, with one client and with eight concurrent ones, and for
// time to first byte; the origin's access log says how many bytes each cold fetch cost upstream.
// Every response is checked against the pattern's digest: a wrong byte is a failure (exit 1),
// because a fast wrong answer proves nothing. Progress goes to stderr, the table to stdout.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <functional>
#include <latch>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "nginx_slice_cache.hpp"
#include "support/casserole_node.hpp"
#include "support/http_client.hpp"
#include "support/nginx_origin.hpp"
#include "support/pattern.hpp"

namespace casserole::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr std::uint64_t kDefaultSizeMiB = 512;
// 1 TiB: far beyond any disk this runs on, and far from overflowing byte counts.
constexpr std::uint64_t kMaxSizeMiB = 1 << 20;
constexpr std::uint64_t kFirstByteSizeMiB = 64;
constexpr int kClients = 8;
constexpr int kFirstByteSamples = 5;
constexpr const char* kMemoryBound = "1G";
// Far beyond what eight clients sharing two cores with both caches need, yet it bounds a stuck
// transfer well inside the run's few minutes.
constexpr long kTransferTimeoutMs = 120'000;
constexpr auto kOriginLogWait = std::chrono::seconds(5);
// nginx writes a log line once a request has finished, possibly just after the cache passed
// the last byte on; a late duplicate fetch would show up within this.
constexpr auto kOriginLogSettle = std::chrono::milliseconds(100);

struct Options {
  std::uint64_t size_mib = kDefaultSizeMiB;
};

// The bench measured nothing trustworthy: a wrong or missing byte, a failed transfer.
struct BenchFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One pattern file on the origin; every name published for it serves the same bytes.
struct Content {
  std::string file;
  std::uint64_t size = 0;
  std::string sha256;
};

// A cache under test.
struct Cache {
  std::string name;
  std::string url;
  std::function<std::string()> log;
};

struct Figures {
  double cold_single = 0;  // MiB/s
  double warm_single = 0;
  double cold_concurrent = 0;  // MiB/s, all clients together
  double warm_concurrent = 0;
  // Bytes the origin sent for the scenario's object, as a multiple of its size.
  double cold_single_origin = 0;
  double warm_single_origin = 0;
  double cold_concurrent_origin = 0;
  double warm_concurrent_origin = 0;
  double first_byte_ms = 0;  // median over kFirstByteSamples cold objects
};

std::optional<Options> parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    constexpr std::string_view kSize = "--size=";
    if (!arg.starts_with(kSize)) return std::nullopt;
    const std::string_view value = arg.substr(kSize.size());
    const auto [end, error] =
        std::from_chars(value.data(), value.data() + value.size(), options.size_mib);
    if (error != std::errc() || end != value.data() + value.size() || options.size_mib == 0 ||
        options.size_mib > kMaxSizeMiB) {
      return std::nullopt;
    }
  }
  return options;
}

Content make_content(const test::NginxOrigin& origin, std::string file, std::uint64_t seed,
                     std::uint64_t size) {
  test::write_pattern_file(origin.docroot() / file, seed, size);
  return {.file = std::move(file), .size = size, .sha256 = test::pattern_sha256(seed, 0, size)};
}

// The origin's name for a cache's object in one scenario; distinct per cache and scenario, so
// each cold scenario starts cold.
std::string object_path(const Cache& cache, const std::string& scenario) {
  return "/" + cache.name + "/" + scenario + ".bin";
}

// A name no cache has asked for yet, so whichever cache fetches it starts cold; a hard link
// keeps the origin's ETag and Last-Modified identical to the content's other names.
std::string publish(const test::NginxOrigin& origin, const Content& content,
                    const std::string& path) {
  const auto link = origin.docroot() / path.substr(1);
  std::filesystem::create_directories(link.parent_path());
  std::filesystem::create_hard_link(origin.docroot() / content.file, link);
  return path;
}

test::Response fetch(test::HttpClient& client, const std::string& url, const Content& content) {
  test::Response response =
      client.perform({.url = url, .keep_body = false, .timeout_ms = kTransferTimeoutMs});
  if (response.curl_code != 0) throw BenchFailure("GET " + url + ": " + response.error);
  if (response.status != 200) {
    throw BenchFailure("GET " + url + ": status " + std::to_string(response.status));
  }
  if (response.body_size != content.size || response.body_sha256 != content.sha256) {
    throw BenchFailure("GET " + url + ": body differs from the origin's (" +
                       std::to_string(response.body_size) + " bytes, sha256 " +
                       response.body_sha256 + ")");
  }
  return response;
}

double mib_per_second(std::uint64_t bytes, Clock::duration elapsed) {
  return static_cast<double>(bytes) / kMiB / std::chrono::duration<double>(elapsed).count();
}

double single_client(const std::string& url, const Content& content) {
  test::HttpClient client;
  const auto began = Clock::now();
  fetch(client, url, content);
  return mib_per_second(content.size, Clock::now() - began);
}

double concurrent_clients(const std::string& url, const Content& content) {
  std::vector<test::HttpClient> clients(kClients);
  std::vector<std::exception_ptr> errors(kClients);
  // Threads start before the clock does and then wait at the gate, so their creation is not
  // timed and all clients ask at once: that is what tests a cache's collapsing of concurrent
  // misses into one upstream fetch.
  std::latch gate(1);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      gate.wait();
      try {
        fetch(clients[i], url, content);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
  }
  const auto began = Clock::now();
  gate.count_down();
  for (auto& thread : threads) thread.join();
  const auto elapsed = Clock::now() - began;
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  return mib_per_second(kClients * content.size, elapsed);
}

std::uint64_t logged_bytes(const test::NginxOrigin& origin, const std::string& path) {
  std::uint64_t bytes = 0;
  for (const auto& entry : origin.access_log()) {
    if (entry.uri == path) bytes += entry.bytes;
  }
  return bytes;
}

// Bytes the origin sent for `path`, as a multiple of the content's size. A cold fetch cost at
// least `at_least` bytes (the client got them all), so the log is awaited until it says so.
double origin_share(const test::NginxOrigin& origin, const std::string& path,
                    const Content& content, std::uint64_t at_least) {
  const auto deadline = Clock::now() + kOriginLogWait;
  while (logged_bytes(origin, path) < at_least) {
    if (Clock::now() >= deadline) {
      throw BenchFailure("the origin logged fewer bytes for " + path + " than were served");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(kOriginLogSettle);
  return static_cast<double>(logged_bytes(origin, path)) / static_cast<double>(content.size);
}

double first_byte_ms(test::NginxOrigin& origin, const Cache& cache, const Content& content) {
  std::vector<double> samples;
  for (int i = 0; i < kFirstByteSamples; ++i) {
    const auto path =
        publish(origin, content, object_path(cache, "first-byte-" + std::to_string(i)));
    test::HttpClient client;
    samples.push_back(fetch(client, cache.url + path, content).seconds_to_first_byte * 1000);
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

// The two caches under test, measured side by side.
class Contest {
 public:
  Contest(const Cache& casserole, const Cache& nginx) : caches_{&casserole, &nginx} {}

  // Runs one scenario for Casserole and straight after for nginx, so that both meet about the
  // same load from whatever else the machine is doing. `step` fills its figures and returns the one
  // to show.
  template <class Step>
  void run(const char* scenario, const char* unit, Step step) {
    for (std::size_t i = 0; i < caches_.size(); ++i) {
      const Cache& cache = *caches_[i];
      try {
        const double value = step(cache, figures_[i]);
        std::fprintf(stderr, "  %-10s %-18s %10.1f %s\n", cache.name.c_str(), scenario, value,
                     unit);
      } catch (const BenchFailure&) {
        std::fprintf(stderr, "%s log:\n%s\n", cache.name.c_str(), cache.log().c_str());
        throw;
      }
    }
  }

  const Figures& casserole() const { return figures_[0]; }
  const Figures& nginx() const { return figures_[1]; }

 private:
  std::array<const Cache*, 2> caches_;
  std::array<Figures, 2> figures_{};
};

void measure(Contest& contest, test::NginxOrigin& origin, const Content& object,
             const Content& small) {
  contest.run("cold, 1 client", "MiB/s", [&](const Cache& cache, Figures& f) {
    const auto path = publish(origin, object, object_path(cache, "single"));
    f.cold_single = single_client(cache.url + path, object);
    f.cold_single_origin = origin_share(origin, path, object, object.size);
    return f.cold_single;
  });
  contest.run("warm, 1 client", "MiB/s", [&](const Cache& cache, Figures& f) {
    const auto path = object_path(cache, "single");
    f.warm_single = single_client(cache.url + path, object);
    f.warm_single_origin = origin_share(origin, path, object, object.size) - f.cold_single_origin;
    return f.warm_single;
  });
  contest.run("cold, 8 clients", "MiB/s", [&](const Cache& cache, Figures& f) {
    const auto path = publish(origin, object, object_path(cache, "concurrent"));
    f.cold_concurrent = concurrent_clients(cache.url + path, object);
    f.cold_concurrent_origin = origin_share(origin, path, object, object.size);
    return f.cold_concurrent;
  });
  contest.run("warm, 8 clients", "MiB/s", [&](const Cache& cache, Figures& f) {
    const auto path = object_path(cache, "concurrent");
    f.warm_concurrent = concurrent_clients(cache.url + path, object);
    f.warm_concurrent_origin =
        origin_share(origin, path, object, object.size) - f.cold_concurrent_origin;
    return f.warm_concurrent;
  });
  contest.run("cold first byte", "ms", [&](const Cache& cache, Figures& f) {
    f.first_byte_ms = first_byte_ms(origin, cache, small);
    return f.first_byte_ms;
  });
}

// A field of /proc/<pid>/status in KiB (VmHWM: the peak resident set).
std::uint64_t status_kib(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with(field + ":")) return std::stoull(line.substr(field.size() + 1));
  }
  throw std::runtime_error("no " + field + " in /proc/" + std::to_string(pid) + "/status");
}

void row(const char* label, double casserole, double nginx, int precision) {
  std::printf("%-50s %10.*f %18.*f", label, precision, casserole, precision, nginx);
  if (nginx > 0) {
    std::printf(" %8.2f\n", casserole / nginx);
  } else {
    std::printf(" %8s\n", "-");
  }
}

void print_table(const Options& options, const Figures& c, const Figures& n,
                 std::uint64_t first_byte_mib, std::uint64_t peak_kib) {
  std::printf(
      "\nCasserole vs nginx slice cache: %llu MiB object, %d concurrent clients, %u CPUs\n\n",
      static_cast<unsigned long long>(options.size_mib), kClients,
      std::thread::hardware_concurrency());
  std::printf("%-50s %10s %18s %8s\n", "scenario", "casserole", "nginx slice cache", "ratio");
  row("cold, 1 client (MiB/s)", c.cold_single, n.cold_single, 1);
  row("warm, 1 client (MiB/s)", c.warm_single, n.warm_single, 1);
  row("cold, 8 clients (MiB/s, aggregate)", c.cold_concurrent, n.cold_concurrent, 1);
  row("warm, 8 clients (MiB/s, aggregate)", c.warm_concurrent, n.warm_concurrent, 1);
  const std::string first_byte = "cold time to first byte (ms, median of " +
                                 std::to_string(kFirstByteSamples) + " x " +
                                 std::to_string(first_byte_mib) + " MiB)";
  row(first_byte.c_str(), c.first_byte_ms, n.first_byte_ms, 1);
  std::printf("origin bytes / object size\n");
  row("  cold, 1 client", c.cold_single_origin, n.cold_single_origin, 2);
  row("  warm, 1 client", c.warm_single_origin, n.warm_single_origin, 2);
  row("  cold, 8 clients", c.cold_concurrent_origin, n.cold_concurrent_origin, 2);
  row("  warm, 8 clients", c.warm_concurrent_origin, n.warm_concurrent_origin, 2);
  std::printf("\nratio = casserole / nginx: above 1 is better for MiB/s, below 1 for the rest\n");
  std::printf("casserole peak RSS (VmHWM): %llu MiB, --max-memory-usage=%s\n",
              static_cast<unsigned long long>(peak_kib / 1024), kMemoryBound);
}

int run(const Options& options) {
  const std::uint64_t size = options.size_mib * kMiB;
  const std::uint64_t first_byte_mib = std::min(options.size_mib, kFirstByteSizeMiB);

  std::fprintf(stderr, "starting the origin (%llu MiB object)\n",
               static_cast<unsigned long long>(options.size_mib));
  test::NginxOrigin origin;
  const Content object = make_content(origin, "object.bin", 1, size);
  const Content small = make_content(origin, "small.bin", 2, first_byte_mib * kMiB);

  test::CasseroleNode node({"--mirror-url=" + origin.url(),
                            std::string("--max-memory-usage=") + kMemoryBound,
                            "--disk-cache-enabled=false", "--access-log=false"});
  NginxSliceCache peer(origin.port());
  const Cache casserole{.name = "casserole", .url = node.url(), .log = [&] { return node.log(); }};
  const Cache nginx{.name = "nginx", .url = peer.url(), .log = [&] { return peer.error_log(); }};

  Contest contest(casserole, nginx);
  measure(contest, origin, object, small);
  const std::uint64_t peak_kib = status_kib(node.process().pid(), "VmHWM");
  print_table(options, contest.casserole(), contest.nginx(), first_byte_mib, peak_kib);
  return 0;
}

}  // namespace
}  // namespace casserole::bench

int main(int argc, char** argv) {
  const bool help = argc == 2 && std::string_view(argv[1]) == "--help";
  const auto options = casserole::bench::parse_options(argc, argv);
  if (help || !options) {
    std::fprintf(help ? stdout : stderr, "usage: %s [--size=MiB]  (object size, default %llu)\n",
                 argv[0], static_cast<unsigned long long>(casserole::bench::kDefaultSizeMiB));
    return help ? 0 : 2;
  }
  try {
    return casserole::bench::run(*options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "casserole_bench: FAILED: %s\n", error.what());
    return 1;
  }
}
