#include "support/nginx_origin.hpp"

#include <charconv>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/ports.hpp"

namespace casserole::test {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(10);
constexpr int kStartAttempts = 3;
constexpr const char* kNginx = "/usr/sbin/nginx";
constexpr const char* kMimeTypes = "/etc/nginx/mime.types";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

void write_file(const std::filesystem::path& path, const std::string& content) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << content;
  if (!file.flush()) throw std::runtime_error("cannot write " + path.string());
}

// nginx config strings are double-quoted so that paths with spaces work.
std::string quoted(const std::filesystem::path& path) {
  return '"' + path.string() + '"';
}

// nginx logs a missing or empty value as "-".
std::string log_field(std::string_view field) {
  return field == "-" ? "" : std::string(field);
}

template <typename Number>
Number log_number(std::string_view field) {
  Number value{};
  std::from_chars(field.data(), field.data() + field.size(), value);
  return value;
}

}  // namespace

StartedNginx start_private_nginx(const std::filesystem::path& dir,
                                 const std::function<void(std::uint16_t port)>& write_config) {
  std::optional<Process> process;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    std::uint16_t port = free_port();
    write_config(port);
    process.emplace(
        std::vector<std::string>{kNginx, "-p", dir.string(), "-c", (dir / "nginx.conf").string(),
                                 "-e", (dir / "error.log").string()},
        dir / "nginx.out");
    if (process->wait_until_listening(port, kStartTimeout)) return {std::move(*process), port};
    process->stop();
  }
  throw std::runtime_error("nginx did not start; error log:\n" + read_file(dir / "error.log") +
                           "\noutput:\n" + process->log());
}

NginxOrigin::NginxOrigin(Options options) : docroot_(dir_.path() / "www"), tls_(options.tls) {
  std::filesystem::create_directories(docroot_);
  std::filesystem::create_directories(dir_.path() / "tmp");
  if (tls_) generate_certificate();
  auto started = start_private_nginx(dir_.path(), [&](std::uint16_t port) {
    port_ = port;
    write_config(options);
  });
  process_.emplace(std::move(started.process));
}

std::string NginxOrigin::url() const {
  return (tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_);
}

std::string NginxOrigin::ca_file() const {
  return tls_ ? (dir_.path() / "ca.pem").string() : std::string();
}

std::string NginxOrigin::error_log() const {
  return read_file(dir_.path() / "error.log");
}

void NginxOrigin::generate_certificate() {
  const auto& d = dir_.path();
  write_file(d / "server.ext",
             "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
             "basicConstraints=critical,CA:FALSE\n"
             "keyUsage=critical,digitalSignature,keyEncipherment\n"
             "extendedKeyUsage=serverAuth\n");
  // EC keys: generated in milliseconds, unlike RSA.
  const std::vector<std::vector<std::string>> commands = {
      {"openssl",
       "req",
       "-x509",
       "-newkey",
       "ec",
       "-pkeyopt",
       "ec_paramgen_curve:prime256v1",
       "-nodes",
       "-keyout",
       (d / "ca.key").string(),
       "-out",
       (d / "ca.pem").string(),
       "-days",
       "7",
       "-subj",
       "/CN=Casserole test CA",
       "-addext",
       "basicConstraints=critical,CA:TRUE",
       "-addext",
       "keyUsage=critical,keyCertSign,cRLSign"},
      {"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
       "-nodes", "-keyout", (d / "server.key").string(), "-out", (d / "server.csr").string(),
       "-subj", "/CN=localhost"},
      {"openssl", "x509", "-req", "-in", (d / "server.csr").string(), "-CA",
       (d / "ca.pem").string(), "-CAkey", (d / "ca.key").string(), "-CAcreateserial", "-out",
       (d / "server.pem").string(), "-days", "7", "-extfile", (d / "server.ext").string()},
  };
  for (const auto& command : commands) {
    Process openssl(command, d / "openssl.log");
    if (openssl.wait_exit(kStartTimeout) != 0) {
      throw std::runtime_error("openssl " + command[1] + " failed:\n" + openssl.log());
    }
  }
}

std::string nginx_config_preamble(const std::filesystem::path& dir) {
  std::ostringstream config;
  config << "daemon off;\n"
         << "master_process off;\n"
         << "worker_processes 1;\n"
         << "pid " << quoted(dir / "nginx.pid") << ";\n"
         << "error_log " << quoted(dir / "error.log") << " notice;\n"
         << "events { worker_connections 1024; }\n"
         << "http {\n"
         << "  default_type application/octet-stream;\n";
  for (const char* kind : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
    config << "  " << kind << "_temp_path " << quoted(dir / "tmp" / kind) << ";\n";
  }
  return config.str();
}

void NginxOrigin::write_config(const Options& options) {
  const auto& d = dir_.path();
  std::ostringstream config;
  config << nginx_config_preamble(d);
  if (std::filesystem::exists(kMimeTypes)) config << "  include " << kMimeTypes << ";\n";
  config << "  log_format casserole escape=none "
         << "'$request_method\t$request_uri\t$http_range\t$status\t$body_bytes_sent\t"
         << "$http_if_match\t$http_if_unmodified_since';\n"
         << "  access_log " << quoted(d / "access.log") << " casserole;\n";
  config << "  sendfile on;\n"
         << "  keepalive_requests 100000;\n"
         << "  server {\n"
         << "    listen 127.0.0.1:" << port_ << (tls_ ? " ssl" : "") << ";\n"
         << "    server_name localhost;\n"
         << "    root " << quoted(docroot_) << ";\n";
  if (tls_) {
    config << "    ssl_certificate " << quoted(d / "server.pem") << ";\n"
           << "    ssl_certificate_key " << quoted(d / "server.key") << ";\n";
  }
  config << "    location / { " << options.location_config << " }\n"
         << "  }\n"
         << "}\n";
  write_file(d / "nginx.conf", config.str());
}

std::vector<AccessLogEntry> NginxOrigin::access_log() const {
  std::vector<AccessLogEntry> entries;
  std::istringstream lines(read_file(dir_.path() / "access.log"));
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string_view> fields;
    std::string_view rest(line);
    for (std::size_t tab; (tab = rest.find('\t')) != std::string_view::npos;) {
      fields.push_back(rest.substr(0, tab));
      rest.remove_prefix(tab + 1);
    }
    fields.push_back(rest);
    if (fields.size() != 7) continue;
    entries.push_back({.method = log_field(fields[0]),
                       .uri = log_field(fields[1]),
                       .range = log_field(fields[2]),
                       .if_match = log_field(fields[5]),
                       .if_unmodified_since = log_field(fields[6]),
                       .status = log_number<int>(fields[3]),
                       .bytes = log_number<std::uint64_t>(fields[4])});
  }
  return entries;
}

std::vector<AccessLogEntry> NginxOrigin::wait_for_access_log(
    std::size_t count, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto entries = access_log();
    if (entries.size() >= count || std::chrono::steady_clock::now() >= deadline) return entries;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace casserole::test
