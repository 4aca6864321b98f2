// casserole_bench: Casserole against nginx's slice cache (proxy_cache + slice 2m +
// proxy_cache_lock, one worker), both in front of the same nginx origin on loopback and measured
// in the same run, so that the ratios compare like with like on whatever machine runs them.
//
//   casserole_bench [--large=MiB] [--cold=MiB] [--herd=MiB] [--small-count=N] [--duration=s]
//                   [--baseline=PATH] [--out=PATH]
//
// The scenarios of issue 5, in order:
// 1. A hot large object, 1 client and 16 at once: aggregate GiB/s, next to the origin serving
//    the file itself (the machine's ceiling).
// 2. Hot small objects (16 KiB each) under wrk with 64 connections: requests/s and p99.
// 2b. With --baseline, a Casserole binary built before the node counted its requests
//    (bench/build_baseline.sh): scenario 2's Casserole and that one take turns under the same
//    wrk, and their median requests/s are compared: what observability costs.
// 3. A cold large object behind a throttled upstream (each connection paced to 50 MiB/s): MiB/s
//    and time to first byte, next to downloading it from that upstream directly. The direct
//    download is also the check of the pace: outside 40-60 MiB/s the scenario is refused.
// 4. A cold herd behind the throttled upstream: three Casserole nodes in one cluster (a real
//    etcd), and three nginx slice caches (which share nothing), 20 clients on each at once on one
//    cold object: upstream bytes / object size, upstream requests, wall time next to one client
//    alone on another cold object of the same size.
// 5. Each cache's peak resident set during 1 and during 3: each of those runs on caches started
//    for it, so VmHWM is that scenario's peak.
// Every large-object download is checked by digest; timed downloads are curl's to /dev/null
// (hashing in the client would be the bottleneck), each batch framed by checked downloads. A
// wrong byte, failed transfer or error response ends the run with exit code 1: a fast wrong
// answer proves nothing. Progress goes to stderr; the table to stdout and to --out.
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "clients.hpp"
#include "nginx_slice_cache.hpp"
#include "support/casserole_cluster.hpp"
#include "support/casserole_node.hpp"
#include "support/nginx_origin.hpp"
#include "support/pattern.hpp"
#include "support/ports.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "throttled_origin.hpp"

namespace casserole::bench {
namespace {

constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = 1024 * kKiB;
constexpr double kGiB = 1024.0 * kMiB;
// 1 TiB: far beyond any disk this runs on, and far from overflowing byte counts.
constexpr std::uint64_t kMaxObjectMiB = 1 << 20;

// Casserole's default memory bound, passed explicitly so that scenario 5 is judged against the
// bound in force whatever the environment holds (flags win over CASSEROLE_* variables).
constexpr std::uint64_t kMemoryBoundMiB = 100;
// What a node holds beside the memory tier, as the README states it: code, libraries, the TLS
// trust store, the disk index, buffers of connections and threads.
constexpr std::uint64_t kFixedOverheadMiB = 16;
constexpr int kHotClients = 16;
constexpr std::uint64_t kSmallSize = 16 * kKiB;
constexpr int kWrkConnections = 64;
constexpr std::uint64_t kThrottleMiBps = 50;  // per connection
// The range a direct download from the throttled upstream must show for scenario 3 to run.
constexpr double kPaceLowestMiBps = 40;
constexpr double kPaceHighestMiBps = 60;
// Hot downloads are short, so each figure is the median of several, taken in rounds (origin,
// Casserole, nginx, then again, each round starting one server later) so that all three meet the
// same load from the rest of the machine. Single downloads varied by a third from one to the next
// here, so a median of five could not tell 0.95x from 1.05x.
constexpr int kSingleRounds = 15;
constexpr int kConcurrentRounds = 7;
// Scenario 2b: the two nodes take turns this many times, each run lasting 2/kOverheadRounds of
// --duration (at least kOverheadLeastSeconds), so that 2b takes about twice scenario 2's time.
// Turns rather than one long run each: the load the rest of the machine adds drifts over
// minutes, and taking turns gives both nodes the same share of it.
constexpr int kOverheadRounds = 5;
constexpr int kOverheadLeastSeconds = 2;
// What 2b's ratio must reach: counting may cost at most 2% of the small-object requests/s.
constexpr double kOverheadTarget = 0.98;
// As test::CasseroleNode allows: a node may first scan its disk cache.
constexpr auto kStartTimeout = std::chrono::seconds(20);
constexpr int kHerdCaches = 3;
constexpr int kHerdClients = 20;  // on each cache

struct Options {
  std::uint64_t large_mib = 256;
  std::uint64_t cold_mib = 1024;
  std::uint64_t herd_mib = 256;
  std::uint64_t small_count = 1000;
  std::uint64_t duration_s = 30;
  std::string baseline;  // scenario 2b's binary; 2b runs only when one is named
  std::string out = "bench-results.md";
};

// One server's figures (a cache's, or for the reference column the origin's and the direct
// download's); zero where it took no part.
struct Figures {
  double hot_single_gibps = 0;
  double hot_concurrent_gibps = 0;
  double small_rps = 0;
  double small_p99_ms = 0;
  double small_cpu = 0;  // share of one core the cache used under wrk
  double cold_mibps = 0;
  double cold_first_byte_ms = 0;
  double cold_first_byte_from_get_ms = 0;  // Casserole with --metadata-from=get
  double peak_rss_hot_mib = 0;
  double peak_rss_cold_mib = 0;
  double herd_alone_s = 0;  // one client alone on a cold object
  double herd_s = 0;        // the herd, from the first client's start to the last one's end
  double herd_upstream_ratio = 0;
  std::size_t herd_heads = 0;
  std::size_t herd_gets = 0;
};

// One node's wrk runs in scenario 2b, in order.
struct NodeRuns {
  std::vector<double> rps;
  std::vector<double> cpu_us;  // CPU time the node used per request
};

struct Overhead {
  int seconds = 0;  // of each run
  NodeRuns with;    // scenario 2's Casserole
  NodeRuns before;  // the baseline binary
};

struct Results {
  Figures casserole;
  Figures nginx;
  Figures reference;
  std::optional<std::string> cold_refused;  // why scenario 3 did not run
  std::map<std::string, int> hot_sources;   // Casserole's X-Casserole-Source values in scenario 1
  std::optional<Overhead> overhead;         // scenario 2b, when it ran
};

// A server measured side by side with others.
struct Server {
  std::string name;
  std::string url;
  pid_t pid = 0;  // a cache's process; 0 for origins
  Figures* figures = nullptr;
  std::function<std::string()> log;  // shown when it fails
};

std::optional<std::uint64_t> number_after(std::string_view arg, std::string_view flag,
                                          std::uint64_t highest) {
  if (!arg.starts_with(flag)) return std::nullopt;
  const std::string_view text = arg.substr(flag.size());
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value == 0 || value > highest) {
    return std::nullopt;
  }
  return value;
}

std::optional<Options> parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (auto large = number_after(arg, "--large=", kMaxObjectMiB)) {
      options.large_mib = *large;
    } else if (auto cold = number_after(arg, "--cold=", kMaxObjectMiB)) {
      options.cold_mib = *cold;
    } else if (auto herd = number_after(arg, "--herd=", kMaxObjectMiB)) {
      options.herd_mib = *herd;
    } else if (auto count = number_after(arg, "--small-count=", 1'000'000)) {
      options.small_count = *count;
    } else if (auto duration = number_after(arg, "--duration=", 3600)) {
      options.duration_s = *duration;
    } else if (arg.starts_with("--baseline=") && arg.size() > 11) {
      // Absolute: the node runs in a directory of its own.
      options.baseline = std::filesystem::absolute(arg.substr(11));
    } else if (arg.starts_with("--out=") && arg.size() > 6) {
      options.out = arg.substr(6);
    } else {
      return std::nullopt;
    }
  }
  return options;
}

void usage(std::FILE* to, const char* program) {
  const Options defaults;
  std::fprintf(to,
               "usage: %s [--large=MiB] [--cold=MiB] [--herd=MiB] [--small-count=N] "
               "[--duration=s] [--baseline=PATH] [--out=PATH]\n"
               "  --large        hot large object (scenario 1), default %llu\n"
               "  --cold         cold object behind the throttled upstream (3), default %llu\n"
               "  --herd         cold object of the herd (4), default %llu\n"
               "  --small-count  hot 16 KiB objects (2), default %llu\n"
               "  --duration     seconds of wrk per cache (2), default %llu\n"
               "  --baseline     casserole built before observability, to compare with (2b):\n"
               "                 bench/build_baseline.sh builds it; 2b is skipped without it\n"
               "  --out          file the table is written to, default %s\n",
               program, static_cast<unsigned long long>(defaults.large_mib),
               static_cast<unsigned long long>(defaults.cold_mib),
               static_cast<unsigned long long>(defaults.herd_mib),
               static_cast<unsigned long long>(defaults.small_count),
               static_cast<unsigned long long>(defaults.duration_s), defaults.out.c_str());
}

// Casserole's flags besides its address and upstream: its defaults, except that the disk tier
// (on by default) must hold the objects, and no access log, as the nginx peer keeps none.
std::vector<std::string> casserole_flags(const Options& options) {
  const std::uint64_t disk_mib = std::max<std::uint64_t>(
      4096, 2 * std::max({options.large_mib, options.cold_mib, options.herd_mib}));
  return {"--max-memory-usage=" + std::to_string(kMemoryBoundMiB) + "M",
          "--max-disk-usage=" + std::to_string(disk_mib) + "M", "--access-log=false"};
}

std::vector<std::string> casserole_flags(const Options& options, const std::string& upstream) {
  auto flags = casserole_flags(options);
  flags.push_back("--mirror-url=" + upstream);
  return flags;
}

// The two caches under test, in front of one upstream. Each pair is started for its scenarios,
// so that the caches' peak resident sets are those scenarios' peaks.
struct Caches {
  Caches(const Options& options, const test::NginxOrigin& upstream, Results& results)
      : node(casserole_flags(options, upstream.url())),
        peer(upstream.port()),
        casserole{.name = "casserole",
                  .url = node.url(),
                  .pid = node.process().pid(),
                  .figures = &results.casserole,
                  .log = [this] { return node.log(); }},
        nginx{.name = "nginx",
              .url = peer.url(),
              .pid = peer.pid(),
              .figures = &results.nginx,
              .log = [this] { return peer.error_log(); }} {}
  Caches(const Caches&) = delete;
  Caches& operator=(const Caches&) = delete;

  test::CasseroleNode node;
  NginxSliceCache peer;
  Server casserole;
  Server nginx;
};

// Scenario 4's Casserole: kHerdCaches nodes that find each other through a private etcd.
// Until every node counts every node some keys would have two owners, so the herd waits.
std::vector<std::string> formed_cluster_urls(test::Cluster& cluster) {
  if (!cluster.wait_until_formed(std::chrono::seconds(30))) {
    throw BenchFailure("the Casserole nodes did not form a cluster within 30 s:\n" +
                       cluster.logs());
  }
  std::vector<std::string> urls;
  for (std::size_t i = 0; i < cluster.size(); ++i) urls.push_back(cluster.node(i).url());
  return urls;
}

// What crossed the upstream link for `path`, read from the upstream's access log once the
// requests the caches made have had a moment to be logged.
void count_upstream(const test::NginxOrigin& upstream, const Content& content, Figures& figures) {
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::uint64_t bytes = 0;
  for (const auto& entry : upstream.access_log()) {
    if (entry.uri != content.path) continue;
    if (entry.method == "HEAD") ++figures.herd_heads;
    if (entry.method == "GET") {
      ++figures.herd_gets;
      bytes += entry.bytes;
    }
  }
  figures.herd_upstream_ratio = static_cast<double>(bytes) / static_cast<double>(content.size);
}

// Scenario 4 on one kind of cache: one client alone on a cold object, then kHerdClients on each
// of `urls` at once on another; both objects checked by digest through every cache afterwards.
void cold_herd(Clients& clients, const std::string& name, const std::vector<std::string>& urls,
               const test::NginxOrigin& upstream, const Content& alone, const Content& herd,
               Figures& figures) {
  figures.herd_alone_s = clients.curl(urls.front(), alone).seconds;
  figures.herd_s = clients.curl_concurrently(urls, herd, kHerdClients).wall_seconds;
  for (const auto& url : urls) {
    test::HttpClient client;
    checked_get(client, url, alone);
    checked_get(client, url, herd);
  }
  count_upstream(upstream, herd, figures);
  std::fprintf(stderr,
               "  %-10s alone %.2f s; herd %.2f s, upstream %.2f x the object in %zu HEAD + %zu "
               "GET\n",
               name.c_str(), figures.herd_alone_s, figures.herd_s, figures.herd_upstream_ratio,
               figures.herd_heads, figures.herd_gets);
}

Content make_content(const test::NginxOrigin& origin, const std::string& path, std::uint64_t seed,
                     std::uint64_t size) {
  const auto file = origin.docroot() / path.substr(1);
  std::filesystem::create_directories(file.parent_path());
  test::write_pattern_file(file, seed, size);
  return {.path = path, .size = size, .sha256 = test::pattern_sha256(seed, 0, size)};
}

double median(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

// A field of /proc/<pid>/status in MiB (VmHWM: the peak resident set).
double status_mib(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with(field + ":")) {
      return static_cast<double>(std::stoull(line.substr(field.size() + 1))) / kKiB;
    }
  }
  throw std::runtime_error("no " + field + " in /proc/" + std::to_string(pid) + "/status");
}

// CPU time (user and system) the process has used so far, in seconds.
double cpu_seconds(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  const std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  // The command name, in parentheses, may hold spaces: fields are counted after it, from the
  // state (field 3) on, so utime (14) and stime (15) are the 12th and 13th.
  const auto name_end = stat.rfind(')');
  if (name_end == std::string::npos) throw std::runtime_error("cannot read /proc/<pid>/stat");
  std::istringstream fields(stat.substr(name_end + 1));
  std::vector<std::string> after_name{std::istream_iterator<std::string>(fields),
                                      std::istream_iterator<std::string>()};
  if (after_name.size() < 13) throw std::runtime_error("short /proc/<pid>/stat");
  const auto ticks = std::stoull(after_name[11]) + std::stoull(after_name[12]);
  return static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Runs `step` for each server in turn; a failure shows the failing server's log.
template <class Step>
void for_each_server(const std::vector<Server>& servers, Step step) {
  for (const Server& server : servers) {
    try {
      step(server);
    } catch (const BenchFailure&) {
      if (server.log) {
        std::fprintf(stderr, "%s log:\n%s\n", server.name.c_str(), server.log().c_str());
      }
      throw;
    }
  }
}

void check_all(const std::vector<Server>& servers, const std::vector<Content>& contents) {
  for_each_server(servers, [&](const Server& server) {
    test::HttpClient client;
    for (const auto& content : contents) checked_get(client, server.url, content);
  });
}

// Scenario 1. The first checked download through each cache fills it; one more, untimed, lets
// the caches settle (Casserole writes to its disk tier in the background) before the clock runs.
void hot_large(Clients& clients, const std::vector<Server>& servers, const Content& large,
               Results& results) {
  std::fprintf(stderr, "1. hot %llu MiB object\n",
               static_cast<unsigned long long>(large.size / kMiB));
  check_all(servers, {large});
  for_each_server(servers, [&](const Server& server) { clients.curl(server.url, large); });
  const auto record_source = [&](const std::string& source) {
    if (!source.empty()) ++results.hot_sources[source];
  };

  std::vector<std::vector<double>> single(servers.size()), concurrent(servers.size());
  for (int round = 0; round < kSingleRounds; ++round) {
    for (std::size_t turn = 0; turn < servers.size(); ++turn) {
      const std::size_t i = (turn + static_cast<std::size_t>(round)) % servers.size();
      const TimedDownload download = clients.curl(servers[i].url, large);
      record_source(download.source);
      single[i].push_back(static_cast<double>(large.size) / kGiB / download.seconds);
      std::fprintf(stderr, "  %-10s 1 client    %6.2f GiB/s\n", servers[i].name.c_str(),
                   single[i].back());
    }
  }
  for (int round = 0; round < kConcurrentRounds; ++round) {
    for (std::size_t turn = 0; turn < servers.size(); ++turn) {
      const std::size_t i = (turn + static_cast<std::size_t>(round)) % servers.size();
      const ConcurrentDownloads downloads =
          clients.curl_concurrently({servers[i].url}, large, kHotClients);
      for (const auto& source : downloads.sources) record_source(source);
      concurrent[i].push_back(kHotClients * static_cast<double>(large.size) / kGiB /
                              downloads.wall_seconds);
      std::fprintf(stderr, "  %-10s %d clients  %6.2f GiB/s\n", servers[i].name.c_str(),
                   kHotClients, concurrent[i].back());
    }
  }
  check_all(servers, {large});
  for (std::size_t i = 0; i < servers.size(); ++i) {
    servers[i].figures->hot_single_gibps = median(single[i]);
    servers[i].figures->hot_concurrent_gibps = median(concurrent[i]);
  }
}

std::vector<std::string> paths_of(const std::vector<Content>& contents) {
  std::vector<std::string> paths;
  for (const auto& content : contents) paths.push_back(content.path);
  return paths;
}

// One wrk run over the small objects, with the share of a core the cache used meanwhile.
struct SmallRun {
  WrkFigures wrk;
  double cpu = 0;
};

SmallRun small_run(Clients& clients, const Server& cache, const std::vector<std::string>& paths,
                   int seconds) {
  const double cpu_before = cpu_seconds(cache.pid);
  const auto began = std::chrono::steady_clock::now();
  const WrkFigures figures = clients.wrk(cache.url, paths, kWrkConnections, seconds);
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - began;
  return {.wrk = figures, .cpu = (cpu_seconds(cache.pid) - cpu_before) / elapsed.count()};
}

// Scenario 2. Every object is fetched and checked through each cache first (filling it), and
// checked again after wrk; wrk checks statuses and lengths only.
void hot_small(Clients& clients, const std::vector<Server>& caches,
               const std::vector<Content>& smalls, int seconds) {
  std::fprintf(stderr, "2. hot %zu x 16 KiB objects, wrk, %d connections, %d s each\n",
               smalls.size(), kWrkConnections, seconds);
  check_all(caches, smalls);
  const auto paths = paths_of(smalls);
  for_each_server(caches, [&](const Server& cache) {
    const SmallRun run = small_run(clients, cache, paths, seconds);
    cache.figures->small_rps = run.wrk.requests_per_second;
    cache.figures->small_p99_ms = run.wrk.p99_ms;
    cache.figures->small_cpu = run.cpu;
    std::fprintf(stderr, "  %-10s %10.0f requests/s, p99 %.2f ms, %.0f%% of a core\n",
                 cache.name.c_str(), run.wrk.requests_per_second, run.wrk.p99_ms, 100 * run.cpu);
  });
  check_all(caches, smalls);
}

// Scenario 2b. The baseline binary predates --admin-address, which test::CasseroleNode adds, so
// it is started here, with the bench's Casserole flags, in a directory of its own (its disk tier
// keeps ./data), and filled and checked with the small objects. Then it and scenario 2's
// Casserole, still warm, take turns under scenario 2's wrk, each round starting with the node
// that went second in the one before; both are checked again at the end.
Overhead observability_cost(Clients& clients, const Server& casserole, const std::string& upstream,
                            const Options& options, const std::vector<Content>& smalls) {
  const int seconds =
      std::max(kOverheadLeastSeconds, static_cast<int>(2 * options.duration_s / kOverheadRounds));
  std::fprintf(stderr,
               "2b. cost of observability: casserole and %s take turns, %d x %d s of wrk each\n",
               options.baseline.c_str(), kOverheadRounds, seconds);
  const test::TempDir dir;
  const std::uint16_t port = test::free_port();
  std::vector<std::string> command = {options.baseline,
                                      "--address=127.0.0.1:" + std::to_string(port)};
  for (auto& flag : casserole_flags(options, upstream)) command.push_back(std::move(flag));
  test::Process process(std::move(command), dir.path() / "casserole.log", {}, dir.path());
  if (!process.wait_until_listening(port, kStartTimeout)) {
    throw BenchFailure(options.baseline + " did not listen on port " + std::to_string(port) +
                       "; log:\n" + process.log());
  }
  const Server before{.name = "before",
                      .url = "http://127.0.0.1:" + std::to_string(port),
                      .pid = process.pid(),
                      .log = [&] { return process.log(); }};
  const std::vector<Server> nodes = {casserole, before};
  check_all({before}, smalls);
  const auto paths = paths_of(smalls);
  Overhead overhead;
  overhead.seconds = seconds;
  for (int round = 0; round < kOverheadRounds; ++round) {
    for (std::size_t turn = 0; turn < nodes.size(); ++turn) {
      const std::size_t i = (turn + static_cast<std::size_t>(round)) % nodes.size();
      for_each_server({nodes[i]}, [&](const Server& node) {
        const SmallRun run = small_run(clients, node, paths, seconds);
        NodeRuns& runs = i == 0 ? overhead.with : overhead.before;
        runs.rps.push_back(run.wrk.requests_per_second);
        runs.cpu_us.push_back(1e6 * run.cpu / run.wrk.requests_per_second);
        std::fprintf(stderr, "  %-10s %10.0f requests/s, %.0f%% of a core, %.1f us of CPU each\n",
                     node.name.c_str(), runs.rps.back(), 100 * run.cpu, runs.cpu_us.back());
      });
    }
  }
  check_all(nodes, smalls);
  return overhead;
}

// Scenario 3 on one server: a single checked download, from its first request.
void cold_download(const Server& server, const Content& cold) {
  test::HttpClient client;
  const test::Response response = checked_get(client, server.url, cold);
  server.figures->cold_mibps = static_cast<double>(cold.size) / kMiB / response.seconds_total;
  server.figures->cold_first_byte_ms = response.seconds_to_first_byte * 1000;
  std::fprintf(stderr, "  %-10s %8.1f MiB/s, first byte after %.1f ms\n", server.name.c_str(),
               server.figures->cold_mibps, server.figures->cold_first_byte_ms);
}

// A Markdown table padded to line up in a terminal too; rows shorter than the first (the
// header) end in empty cells.
std::string markdown_table(const std::vector<std::vector<std::string>>& rows) {
  const std::size_t columns = rows.front().size();
  const auto cell = [&](std::size_t r, std::size_t i) {
    return i < rows[r].size() ? rows[r][i] : std::string();
  };
  // Column widths count characters, not bytes: "≥" and "×" are one column wide.
  const auto width_of = [](const std::string& text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
      return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
  };
  std::vector<std::size_t> widths(columns, 0);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    for (std::size_t i = 0; i < columns; ++i) widths[i] = std::max(widths[i], width_of(cell(r, i)));
  }
  std::ostringstream out;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    out << "|";
    for (std::size_t i = 0; i < columns; ++i) {
      out << " " << cell(r, i) << std::string(widths[i] - width_of(cell(r, i)), ' ') << " |";
    }
    out << "\n";
    if (r == 0) {
      out << "|";
      for (const std::size_t width : widths) out << " " << std::string(width, '-') << " |";
      out << "\n";
    }
  }
  return out.str();
}

std::string fixed(double value, int precision) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", precision, value);
  return text;
}

std::string yes_no(bool met) {
  return met ? "yes" : "**no**";
}

std::string joined(const std::vector<double>& values, int precision) {
  std::string text;
  for (const double value : values) text += (text.empty() ? "" : ", ") + fixed(value, precision);
  return text;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
  return text;
}

std::string report(const Options& options, const Results& r) {
  const Figures& c = r.casserole;
  const Figures& n = r.nginx;
  const Figures& ref = r.reference;
  const auto large = std::to_string(options.large_mib) + " MiB";
  const auto cold = std::to_string(options.cold_mib) + " MiB";
  std::vector<std::vector<std::string>> rows = {{"scenario", "casserole", "nginx",
                                                 "casserole / nginx", "reference",
                                                 "casserole / reference", "target", "met"}};
  const auto hot_row = [&](const std::string& label, double cv, double nv, double rv) {
    rows.push_back({label, fixed(cv, 2), fixed(nv, 2), fixed(cv / nv, 2), "origin " + fixed(rv, 2),
                    fixed(cv / rv, 2), "≥ 1.0 × nginx, ≥ 0.9 × origin",
                    yes_no(cv / nv >= 1.0 && cv / rv >= 0.9)});
  };
  hot_row("1. hot " + large + ", 1 client (GiB/s)", c.hot_single_gibps, n.hot_single_gibps,
          ref.hot_single_gibps);
  hot_row("1. hot " + large + ", " + std::to_string(kHotClients) + " clients (GiB/s, aggregate)",
          c.hot_concurrent_gibps, n.hot_concurrent_gibps, ref.hot_concurrent_gibps);
  const auto small = "2. hot " + std::to_string(options.small_count) + " × 16 KiB, wrk " +
                     std::to_string(kWrkConnections) + " connections";
  rows.push_back({small + " (requests/s)", fixed(c.small_rps, 0), fixed(n.small_rps, 0),
                  fixed(c.small_rps / n.small_rps, 2), "", "", "≥ 1.0 × nginx",
                  yes_no(c.small_rps >= n.small_rps)});
  rows.push_back({small + " (p99 ms)", fixed(c.small_p99_ms, 2), fixed(n.small_p99_ms, 2),
                  fixed(c.small_p99_ms / n.small_p99_ms, 2), "", "", "≤ 1.0 × nginx",
                  yes_no(c.small_p99_ms <= n.small_p99_ms)});
  const std::string overhead_label = "2b. hot small, requests/s: with observability / before it";
  if (r.overhead) {
    const double with = median(r.overhead->with.rps);
    const double before = median(r.overhead->before.rps);
    rows.push_back({overhead_label, fixed(with, 0), "", "", "before " + fixed(before, 0),
                    fixed(with / before, 3), "≥ " + fixed(kOverheadTarget, 2) + " × before",
                    yes_no(with / before >= kOverheadTarget)});
  } else {
    rows.push_back({overhead_label, "not run", "", "",
                    "bench/build_baseline.sh, then --baseline=build/baseline/casserole"});
  }
  const auto cold_label =
      "3. cold " + cold + ", " + std::to_string(kThrottleMiBps) + " MiB/s upstream";
  if (r.cold_refused) {
    for (const char* unit : {" (MiB/s)", " (first byte ms)"}) {
      rows.push_back(
          {cold_label + unit, "refused", "refused", "", "direct " + fixed(ref.cold_mibps, 1)});
    }
  } else {
    rows.push_back({cold_label + " (MiB/s)", fixed(c.cold_mibps, 1), fixed(n.cold_mibps, 1),
                    fixed(c.cold_mibps / n.cold_mibps, 2), "direct " + fixed(ref.cold_mibps, 1),
                    fixed(c.cold_mibps / ref.cold_mibps, 2), "≥ 3 × direct",
                    yes_no(c.cold_mibps >= 3 * ref.cold_mibps)});
    rows.push_back({cold_label + " (first byte ms)", fixed(c.cold_first_byte_ms, 1),
                    fixed(n.cold_first_byte_ms, 1),
                    fixed(c.cold_first_byte_ms / n.cold_first_byte_ms, 2),
                    "direct " + fixed(ref.cold_first_byte_ms, 1),
                    fixed(c.cold_first_byte_ms / ref.cold_first_byte_ms, 2), "", ""});
    const double from_get_ratio = c.cold_first_byte_from_get_ms / n.cold_first_byte_ms;
    rows.push_back({cold_label + " (first byte ms, --metadata-from=get)",
                    fixed(c.cold_first_byte_from_get_ms, 1), fixed(n.cold_first_byte_ms, 1),
                    fixed(from_get_ratio, 2), "direct " + fixed(ref.cold_first_byte_ms, 1),
                    fixed(c.cold_first_byte_from_get_ms / ref.cold_first_byte_ms, 2),
                    "≤ 1.1 × nginx", yes_no(from_get_ratio <= 1.1)});
  }
  if (!r.cold_refused) {
    const auto herd = "4. cold herd " + std::to_string(options.herd_mib) + " MiB, " +
                      std::to_string(kHerdCaches) + " caches × " + std::to_string(kHerdClients) +
                      " clients";
    rows.push_back({herd + " (upstream bytes / object)", fixed(c.herd_upstream_ratio, 2),
                    fixed(n.herd_upstream_ratio, 2),
                    fixed(c.herd_upstream_ratio / n.herd_upstream_ratio, 2), "", "",
                    "1.00, one HEAD", yes_no(c.herd_upstream_ratio == 1.0 && c.herd_heads == 1)});
    rows.push_back({herd + " (upstream HEAD + GET)",
                    std::to_string(c.herd_heads) + " + " + std::to_string(c.herd_gets),
                    std::to_string(n.herd_heads) + " + " + std::to_string(n.herd_gets)});
    rows.push_back({herd + " (wall s)", fixed(c.herd_s, 2), fixed(n.herd_s, 2),
                    fixed(c.herd_s / n.herd_s, 2),
                    "1 client alone " + fixed(c.herd_alone_s, 2) + " / " + fixed(n.herd_alone_s, 2),
                    fixed(c.herd_s / c.herd_alone_s, 2), "", ""});
  }
  const auto rss_row = [&](const std::string& label, double cv, double nv, bool refused) {
    if (refused) {
      rows.push_back({label, "refused", "refused"});
      return;
    }
    const auto limit = static_cast<double>(kMemoryBoundMiB + kFixedOverheadMiB);
    rows.push_back({label, fixed(cv, 0), fixed(nv, 0), fixed(cv / nv, 2),
                    "memory bound " + std::to_string(kMemoryBoundMiB),
                    fixed(cv / static_cast<double>(kMemoryBoundMiB), 2),
                    "≤ bound + " + std::to_string(kFixedOverheadMiB) + " MiB overhead",
                    yes_no(cv <= limit)});
  };
  rss_row("5. peak RSS during 1 (MiB)", c.peak_rss_hot_mib, n.peak_rss_hot_mib, false);
  rss_row("5. peak RSS during 3 (MiB)", c.peak_rss_cold_mib, n.peak_rss_cold_mib,
          r.cold_refused.has_value());

  std::ostringstream out;
  out << "# Casserole vs nginx slice cache, " << utc_now() << "\n\n"
      << "- " << std::thread::hardware_concurrency()
      << " CPUs, loopback: caches, origins and clients all share them.\n"
      << "- casserole:";
  for (const auto& flag : casserole_flags(options)) out << " " << flag;
  out << ", its defaults otherwise.\n";
  if (r.overhead) out << "- before (2b): " << options.baseline << ", the same flags.\n";
  out << "- nginx: proxy_cache + slice 2m + proxy_cache_lock, one worker (as Casserole has one "
         "I/O thread), access log off.\n"
      << "- origin: nginx (sendfile, expires 1h); throttled upstream: the same files from a "
         "second nginx whose connections are each paced to "
      << kThrottleMiBps << " MiB/s by SO_MAX_PACING_RATE.\n\n"
      << markdown_table(rows) << "\n"
      << "Ratios are casserole / nginx and casserole / reference: above 1 is better for GiB/s, "
         "MiB/s and requests/s, below 1 for ms and MiB.\n";
  // Two cores hold the cache and wrk: how much of a core the cache took tells whether it or wrk
  // was the limit.
  out << "Under wrk (scenario 2) casserole used " << fixed(100 * c.small_cpu, 0)
      << "% of a core, nginx " << fixed(100 * n.small_cpu, 0) << "%.\n";
  if (r.overhead) {
    const Overhead& o = *r.overhead;
    out << "Scenario 2b, " << o.with.rps.size() << " turns of " << o.seconds
        << " s of wrk each: requests/s with observability " << joined(o.with.rps, 0)
        << "; before it " << joined(o.before.rps, 0)
        << ". CPU per request, median: " << fixed(median(o.with.cpu_us), 1) << " µs with, "
        << fixed(median(o.before.cpu_us), 1) << " µs before.\n";
  }
  if (r.cold_refused) out << "Scenario 3 refused: " << *r.cold_refused << ".\n";
  if (!r.hot_sources.empty()) {
    out << "Casserole's hot " << large << " responses came from (X-Casserole-Source):";
    for (const auto& [source, count] : r.hot_sources) out << " " << source << " " << count << ";";
    out << "\n";
  }
  return out.str();
}

int run(const Options& options) {
  // Before the minutes of scenario 1, not after them.
  if (!options.baseline.empty() && ::access(options.baseline.c_str(), X_OK) != 0) {
    throw std::runtime_error("--baseline=" + options.baseline +
                             ": not an executable (bench/build_baseline.sh builds one)");
  }
  std::fprintf(stderr, "starting the origins, writing %llu MiB of objects\n",
               static_cast<unsigned long long>(options.large_mib + options.cold_mib +
                                               options.small_count * kSmallSize / kMiB));
  test::NginxOrigin origin;
  const test::NginxOrigin throttled =
      start_throttled_origin(origin.docroot(), kThrottleMiBps * kMiB);
  const Content large = make_content(origin, "/large.bin", 1, options.large_mib * kMiB);
  const Content cold = make_content(origin, "/cold.bin", 2, options.cold_mib * kMiB);
  std::vector<Content> smalls;
  for (std::uint64_t i = 0; i < options.small_count; ++i) {
    smalls.push_back(
        make_content(origin, "/small/" + std::to_string(i) + ".bin", 1000 + i, kSmallSize));
  }

  Clients clients;
  Results results;
  {
    Caches caches(options, origin, results);
    const auto origin_log = [&] { return origin.error_log(); };
    const Server direct{
        .name = "origin", .url = origin.url(), .figures = &results.reference, .log = origin_log};
    hot_large(clients, {direct, caches.casserole, caches.nginx}, large, results);
    results.casserole.peak_rss_hot_mib = status_mib(caches.casserole.pid, "VmHWM");
    results.nginx.peak_rss_hot_mib = status_mib(caches.nginx.pid, "VmHWM");
    hot_small(clients, {caches.casserole, caches.nginx}, smalls,
              static_cast<int>(options.duration_s));
    if (!options.baseline.empty()) {
      results.overhead =
          observability_cost(clients, caches.casserole, origin.url(), options, smalls);
    }
  }

  std::fprintf(stderr, "3. cold %llu MiB object from the throttled upstream\n",
               static_cast<unsigned long long>(options.cold_mib));
  const auto throttled_log = [&] { return throttled.error_log(); };
  cold_download({.name = "direct",
                 .url = throttled.url(),
                 .figures = &results.reference,
                 .log = throttled_log},
                cold);
  const double pace = results.reference.cold_mibps;
  if (pace < kPaceLowestMiBps || pace > kPaceHighestMiBps) {
    results.cold_refused = "direct download at " + fixed(pace, 1) + " MiB/s, not " +
                           fixed(kPaceLowestMiBps, 0) + "-" + fixed(kPaceHighestMiBps, 0) +
                           ": the pacing does not hold here";
  } else {
    Caches caches(options, throttled, results);
    for_each_server({caches.casserole, caches.nginx},
                    [&](const Server& cache) { cold_download(cache, cold); });
    results.casserole.peak_rss_cold_mib = status_mib(caches.casserole.pid, "VmHWM");
    results.nginx.peak_rss_cold_mib = status_mib(caches.nginx.pid, "VmHWM");
  }
  if (!results.cold_refused) {
    // The cold first byte once more, from a node that learns the metadata from the first
    // segment's GET: one upstream round trip before the first byte instead of two.
    auto flags = casserole_flags(options, throttled.url());
    flags.push_back("--metadata-from=get");
    test::CasseroleNode node(flags);
    Figures from_get;
    cold_download({.name = "casserole, --metadata-from=get",
                   .url = node.url(),
                   .figures = &from_get,
                   .log = [&] { return node.log(); }},
                  cold);
    results.casserole.cold_first_byte_from_get_ms = from_get.cold_first_byte_ms;
  }

  if (!results.cold_refused) {
    std::fprintf(stderr,
                 "4. cold herd: %d caches x %d clients, %llu MiB from the throttled "
                 "upstream\n",
                 kHerdCaches, kHerdClients, static_cast<unsigned long long>(options.herd_mib));
    const std::uint64_t herd_size = options.herd_mib * kMiB;
    {
      test::Cluster cluster(throttled.url(), casserole_flags(options), kHerdCaches);
      cold_herd(clients, "casserole", formed_cluster_urls(cluster), throttled,
                make_content(origin, "/herd/casserole-alone.bin", 3, herd_size),
                make_content(origin, "/herd/casserole.bin", 4, herd_size), results.casserole);
    }
    std::vector<std::unique_ptr<NginxSliceCache>> peers;
    std::vector<std::string> urls;
    for (int i = 0; i < kHerdCaches; ++i) {
      peers.push_back(std::make_unique<NginxSliceCache>(throttled.port()));
      urls.push_back(peers.back()->url());
    }
    cold_herd(clients, "nginx", urls, throttled,
              make_content(origin, "/herd/nginx-alone.bin", 5, herd_size),
              make_content(origin, "/herd/nginx.bin", 6, herd_size), results.nginx);
  }

  const std::string table = report(options, results);
  std::fputs(table.c_str(), stdout);
  std::ofstream file(options.out, std::ios::binary | std::ios::trunc);
  file << table;
  if (!file.flush()) throw std::runtime_error("cannot write " + options.out);
  std::fprintf(stderr, "written to %s\n", options.out.c_str());
  if (results.cold_refused) {
    std::fprintf(stderr, "casserole_bench: scenario 3 refused: %s\n",
                 results.cold_refused->c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace casserole::bench

int main(int argc, char** argv) {
  const bool help = argc == 2 && std::string_view(argv[1]) == "--help";
  const auto options = casserole::bench::parse_options(argc, argv);
  if (help || !options) {
    casserole::bench::usage(help ? stdout : stderr, argv[0]);
    return help ? 0 : 2;
  }
  try {
    return casserole::bench::run(*options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "casserole_bench: FAILED: %s\n", error.what());
    return 1;
  }
}
