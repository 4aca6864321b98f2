#include "clients.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>

#include "support/process.hpp"

namespace casserole::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kMiB = 1024 * 1024;
// wrk's default. With one thread, on 2 cores, wrk rather than nginx was the limit: nginx used
// under half a core. With two, wrk and the cache share the cores as the scheduler sees fit, so
// a cache that needs less CPU per request serves more of them.
constexpr int kWrkThreads = 2;

// Long enough for any download the benchmark makes on a loaded machine (the slowest is a cold
// object behind a 50 MiB/s upstream), short enough to end a stuck one within the run.
std::chrono::milliseconds transfer_timeout(std::uint64_t size) {
  return std::chrono::seconds(60) + std::chrono::milliseconds(size / (10 * kMiB) * 1000);
}

std::string last_line(const std::string& text) {
  std::string_view rest(text);
  while (!rest.empty() && rest.back() == '\n') rest.remove_suffix(1);
  const auto newline = rest.rfind('\n');
  return std::string(newline == std::string_view::npos ? rest : rest.substr(newline + 1));
}

std::vector<std::string> curl_command(const std::string& url, std::uint64_t size) {
  const auto timeout = std::chrono::duration_cast<std::chrono::seconds>(transfer_timeout(size));
  return {"curl",
          "--silent",
          "--show-error",
          "--noproxy",
          "*",
          "--max-time",
          std::to_string(timeout.count()),
          "--output",
          "/dev/null",
          "--write-out",
          "%{http_code} %{size_download} %{time_total} %header{x-casserole-source}\\n",
          url};
}

// Checks what a finished curl wrote (its --write-out line, or an error) against the content.
TimedDownload curl_result(test::Process& curl, const std::string& url, const Content& content) {
  const auto exit_code = curl.wait_exit(transfer_timeout(content.size));
  if (!exit_code) {
    curl.stop();
    throw BenchFailure("curl " + url + " did not finish");
  }
  const std::string line = last_line(curl.log());
  long status = 0;
  unsigned long long bytes = 0;
  double seconds = 0;
  int consumed = 0;
  if (*exit_code != 0 ||
      std::sscanf(line.c_str(), "%ld %llu %lf %n", &status, &bytes, &seconds, &consumed) < 3 ||
      status != 200 || bytes != content.size || seconds <= 0) {
    throw BenchFailure("curl " + url + " failed (exit code " + std::to_string(*exit_code) +
                       "): " + curl.log());
  }
  return {.seconds = seconds, .source = line.substr(static_cast<std::size_t>(consumed))};
}

std::string wrk_script(const std::vector<std::string>& paths) {
  std::ostringstream script;
  script << "local paths = {\n";
  for (const auto& path : paths) script << "  \"" << path << "\",\n";
  // Requests are formatted once (init runs after wrk has set the Host header), so that each
  // request costs wrk a table lookup rather than formatting.
  script << "}\n"
         << "local requests = {}\n"
         << "local last = 0\n"
         << "init = function(args)\n"
         << "  for i, path in ipairs(paths) do requests[i] = wrk.format(\"GET\", path) end\n"
         << "end\n"
         << "request = function()\n"
         << "  last = last % #requests + 1\n"
         << "  return requests[last]\n"
         << "end\n";
  return script.str();
}

// "1.23ms" and the like, as wrk prints latencies, in milliseconds.
std::optional<double> wrk_latency_ms(std::string_view text) {
  double value = 0;
  int consumed = 0;
  const std::string owned(text);
  if (std::sscanf(owned.c_str(), "%lf%n", &value, &consumed) < 1) return std::nullopt;
  const std::string_view unit = text.substr(static_cast<std::size_t>(consumed));
  if (unit == "us") return value / 1000;
  if (unit == "ms") return value;
  if (unit == "s") return value * 1000;
  if (unit == "m") return value * 60'000;
  return std::nullopt;
}

// The number after `label` on the line that starts with it (leading spaces ignored).
std::optional<std::string> wrk_field(const std::string& output, std::string_view label) {
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    std::string_view rest(line);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (!rest.starts_with(label)) continue;
    rest.remove_prefix(label.size());
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    return std::string(rest);
  }
  return std::nullopt;
}

}  // namespace

test::Response checked_get(test::HttpClient& client, const std::string& base_url,
                           const Content& content) {
  const std::string url = base_url + content.path;
  test::Response response =
      client.perform({.url = url,
                      .keep_body = false,
                      .timeout_ms = static_cast<long>(transfer_timeout(content.size).count())});
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

std::filesystem::path Clients::fresh_log(const std::string& name) const {
  // Process appends to its log, and a client's output must be its own run's.
  auto path = scratch_.path() / name;
  std::filesystem::remove(path);
  return path;
}

TimedDownload Clients::curl(const std::string& base_url, const Content& content) {
  const std::string url = base_url + content.path;
  test::Process curl(curl_command(url, content.size), fresh_log("curl.log"));
  return curl_result(curl, url, content);
}

ConcurrentDownloads Clients::curl_concurrently(const std::vector<std::string>& base_urls,
                                               const Content& content, int count) {
  std::vector<std::string> urls;
  for (const auto& base_url : base_urls) urls.insert(urls.end(), count, base_url + content.path);
  std::vector<test::Process> clients;
  const auto began = Clock::now();
  for (std::size_t i = 0; i < urls.size(); ++i) {
    clients.emplace_back(curl_command(urls[i], content.size),
                         fresh_log("curl-" + std::to_string(i) + ".log"));
  }
  ConcurrentDownloads result;
  for (std::size_t i = 0; i < urls.size(); ++i) {
    result.sources.push_back(curl_result(clients[i], urls[i], content).source);
  }
  result.wall_seconds = std::chrono::duration<double>(Clock::now() - began).count();
  return result;
}

WrkFigures Clients::wrk(const std::string& base_url, const std::vector<std::string>& paths,
                        int connections, int seconds) {
  const auto script_path = scratch_.path() / "paths.lua";
  {
    std::ofstream script(script_path, std::ios::binary | std::ios::trunc);
    script << wrk_script(paths);
    if (!script.flush()) throw std::runtime_error("cannot write " + script_path.string());
  }
  test::Process wrk({"wrk", "--threads", std::to_string(kWrkThreads), "--connections",
                     std::to_string(connections), "--duration", std::to_string(seconds) + "s",
                     "--latency", "--script", script_path.string(), base_url + "/"},
                    fresh_log("wrk.log"));
  const auto exit_code = wrk.wait_exit(std::chrono::seconds(seconds + 60));
  if (!exit_code) wrk.stop();
  const std::string output = wrk.log();
  if (exit_code != 0) throw BenchFailure("wrk " + base_url + " failed:\n" + output);
  if (wrk_field(output, "Non-2xx or 3xx responses:") || wrk_field(output, "Socket errors:")) {
    throw BenchFailure("wrk " + base_url + " met errors:\n" + output);
  }
  const auto rate = wrk_field(output, "Requests/sec:");
  const auto p99 = wrk_field(output, "99%");
  const auto p99_ms = p99 ? wrk_latency_ms(*p99) : std::nullopt;
  WrkFigures figures;
  if (!rate || !p99_ms || std::sscanf(rate->c_str(), "%lf", &figures.requests_per_second) != 1 ||
      figures.requests_per_second <= 0) {
    throw BenchFailure("wrk " + base_url + ": cannot read its figures:\n" + output);
  }
  figures.p99_ms = *p99_ms;
  return figures;
}

}  // namespace casserole::bench
