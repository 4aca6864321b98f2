#include "nginx_slice_cache.hpp"

#include <chrono>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "support/nginx_origin.hpp"

namespace casserole::bench {
namespace {

// nginx config strings are double-quoted so that paths with spaces work.
std::string quoted(const std::filesystem::path& path) {
  return '"' + path.string() + '"';
}

}  // namespace

NginxSliceCache::NginxSliceCache(std::uint16_t upstream_port) {
  std::filesystem::create_directories(dir_.path() / "tmp");
  std::filesystem::create_directories(dir_.path() / "cache");
  auto started = test::start_private_nginx(dir_.path(), [&](std::uint16_t port) {
    port_ = port;
    write_config(upstream_port);
  });
  process_.emplace(std::move(started.process));
}

std::string NginxSliceCache::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string NginxSliceCache::error_log() const {
  std::ifstream file(dir_.path() / "error.log", std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

void NginxSliceCache::write_config(std::uint16_t upstream_port) const {
  const auto& d = dir_.path();
  std::ostringstream config;
  // One worker, as Casserole has one I/O thread: the ratios compare one core against one core.
  config << test::nginx_config_preamble(d) << "  access_log off;\n";
  // sendfile and tcp_nopush as in Debian's stock nginx.conf, which operators start from.
  config << "  sendfile on;\n"
         << "  tcp_nopush on;\n"
         << "  keepalive_requests 100000;\n"
         << "  proxy_cache_path " << quoted(d / "cache")
         << " levels=1:2 keys_zone=bench:10m max_size=2g inactive=1h use_temp_path=off;\n"
         << "  upstream origin {\n"
         << "    server 127.0.0.1:" << upstream_port << ";\n"
         << "    keepalive 32;\n"
         << "  }\n"
         << "  server {\n"
         << "    listen 127.0.0.1:" << port_ << ";\n"
         << "    server_name localhost;\n"
         << "    location / {\n"
         << "      slice 2m;\n"
         << "      proxy_cache bench;\n"
         << "      proxy_cache_key $uri$slice_range;\n"
         << "      proxy_set_header Range $slice_range;\n"
         << "      proxy_cache_valid 200 206 1h;\n"
         << "      proxy_cache_lock on;\n"
         << "      proxy_http_version 1.1;\n"
         // An empty Connection header keeps nginx from sending `close`, so upstream keepalive
         // connections are reused.
         << "      proxy_set_header Connection \"\";\n"
         << "      proxy_pass http://origin;\n"
         << "    }\n"
         << "  }\n"
         << "}\n";
  std::ofstream file(d / "nginx.conf", std::ios::binary | std::ios::trunc);
  file << config.str();
  if (!file.flush()) throw std::runtime_error("cannot write " + (d / "nginx.conf").string());
}

}  // namespace casserole::bench
