#include "support/etcd_server.hpp"

#include <signal.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/base64.hpp"
#include "support/http_client.hpp"
#include "support/ports.hpp"

namespace casserole::test {
namespace {

namespace json = boost::json;

constexpr const char* kEtcd = "/usr/bin/etcd";
constexpr auto kStartTimeout = std::chrono::seconds(15);
// free_port() can race with another process taking the port, and etcd then exits.
constexpr int kStartAttempts = 3;

std::string loopback_url(std::uint16_t port) {
  return "http://127.0.0.1:" + std::to_string(port);
}

// The first key after every key that starts with `prefix` (etcd's range_end for a prefix).
std::string after_prefix(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (end.empty()) return std::string(1, '\0');
  end.back() = static_cast<char>(end.back() + 1);
  return end;
}

// Whether the process is stopped by a signal, from the state field of /proc/<pid>/stat.
bool stopped(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  const std::string stat(std::istreambuf_iterator<char>(file), {});
  // The state follows the command name, which is in parentheses and may contain anything.
  const auto name_end = stat.rfind(')');
  return name_end != std::string::npos && name_end + 2 < stat.size() && stat[name_end + 2] == 'T';
}

bool wait_for_state(pid_t pid, bool stopped_state) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (stopped(pid) != stopped_state) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

std::int64_t revision_of(const json::value& answer) {
  return std::stoll(std::string(answer.at("header").at("revision").as_string()));
}

}  // namespace

EtcdServer::EtcdServer() {
  start();
}

EtcdServer::~EtcdServer() {
  // A stopped process would sit out stop()'s grace period before SIGKILL.
  if (paused_) resume();
}

std::string EtcdServer::url() const {
  return loopback_url(client_port_);
}

void EtcdServer::start() {
  const bool fixed_ports = client_port_ != 0;
  const auto data_dir = dir_.path() / ("data-" + std::to_string(generation_));
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    if (!fixed_ports) {
      client_port_ = free_port();
      do peer_port_ = free_port();
      while (peer_port_ == client_port_);
    }
    const std::string peer_url = loopback_url(peer_port_);
    process_.emplace(
        std::vector<std::string>{
            kEtcd, "--name=test", "--data-dir=" + data_dir.string(),
            "--listen-client-urls=" + url(), "--advertise-client-urls=" + url(),
            "--listen-peer-urls=" + peer_url, "--initial-advertise-peer-urls=" + peer_url,
            "--initial-cluster=test=" + peer_url, "--heartbeat-interval=10",
            "--election-timeout=100", "--logger=zap", "--log-level=warn"},
        dir_.path() / "etcd.log");
    HttpClient client;
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (process_->running() && std::chrono::steady_clock::now() < deadline) {
      // A single member reports itself healthy once it has elected itself leader.
      Response health = client.perform({.url = url() + "/health", .timeout_ms = 1000});
      if (health.status == 200 && health.body.find("\"true\"") != std::string::npos) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    process_->kill();
    if (fixed_ports) break;
  }
  throw std::runtime_error("etcd did not start; its log:\n" + log());
}

void EtcdServer::stop() {
  if (paused_) resume();
  if (process_) process_->stop();
}

void EtcdServer::kill() {
  if (process_) process_->kill();
  paused_ = false;
}

void EtcdServer::pause() {
  ::kill(process_->pid(), SIGSTOP);
  paused_ = true;
  // kill() returns before the process has stopped: it could still answer a request sent now.
  if (!wait_for_state(process_->pid(), true)) throw std::runtime_error("etcd did not stop");
}

void EtcdServer::resume() {
  ::kill(process_->pid(), SIGCONT);
  paused_ = false;
  if (!wait_for_state(process_->pid(), false)) throw std::runtime_error("etcd did not continue");
}

void EtcdServer::restart() {
  stop();
  start();
}

void EtcdServer::restart_empty() {
  stop();
  std::filesystem::remove_all(dir_.path() / ("data-" + std::to_string(generation_)));
  ++generation_;
  start();
}

std::string EtcdServer::log() const {
  return process_ ? process_->log() : std::string();
}

std::string EtcdServer::post(std::string_view path, const std::string& body) const {
  HttpClient client;
  Response response = client.perform({.method = "POST",
                                      .url = url() + std::string(path),
                                      .headers = {"Content-Type: application/json"},
                                      .body = body,
                                      .timeout_ms = 5000});
  if (response.status != 200) {
    throw std::runtime_error("etcd " + std::string(path) + ": status " +
                             std::to_string(response.status) + " " + response.error + " " +
                             response.body);
  }
  return response.body;
}

std::map<std::string, std::string> EtcdServer::keys(std::string_view prefix) const {
  const json::value answer = json::parse(
      post("/v3/kv/range",
           json::serialize(json::object{{"key", encode_base64(prefix)},
                                        {"range_end", encode_base64(after_prefix(prefix))}})));
  std::map<std::string, std::string> keys;
  if (const json::value* kvs = answer.as_object().if_contains("kvs")) {
    for (const json::value& kv : kvs->as_array()) {
      const json::value* value = kv.as_object().if_contains("value");
      keys.emplace(decode_base64(kv.at("key").as_string()),
                   value ? decode_base64(value->as_string()) : std::string());
    }
  }
  return keys;
}

void EtcdServer::put_with_lease(std::string_view key, std::string_view value,
                                int ttl_seconds) const {
  const json::value lease =
      json::parse(post("/v3/lease/grant", json::serialize(json::object{{"TTL", ttl_seconds}})));
  post("/v3/kv/put", json::serialize(json::object{{"key", encode_base64(key)},
                                                  {"value", encode_base64(value)},
                                                  {"lease", lease.at("ID")}}));
}

std::int64_t EtcdServer::compact() const {
  const std::int64_t revision = revision_of(json::parse(
      post("/v3/kv/range", json::serialize(json::object{{"key", encode_base64("/")}}))));
  post("/v3/kv/compaction",
       json::serialize(json::object{{"revision", std::to_string(revision)}, {"physical", true}}));
  return revision;
}

}  // namespace casserole::test
