#include "support/fault_origin.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <stdexcept>
#include <thread>

namespace casserole::test {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(10);

std::string percent_encoded(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string result;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      result += c;
    } else {
      result += '%';
      result += kHex[byte >> 4];
      result += kHex[byte & 0xf];
    }
  }
  return result;
}

// The origin prints "listening <port>" once its socket is bound.
std::optional<std::uint16_t> announced_port(const std::string& log) {
  constexpr std::string_view kPrefix = "listening ";
  const auto at = log.find(kPrefix);
  if (at == std::string::npos) return std::nullopt;
  const char* first = log.data() + at + kPrefix.size();
  const char* last = log.data() + log.size();
  std::uint16_t port = 0;
  const auto [end, error] = std::from_chars(first, last, port);
  if (error != std::errc() || end == last || *end != '\n') return std::nullopt;
  return port;
}

}  // namespace

FaultOrigin::FaultOrigin() {
  // Port 0: the origin binds a port the kernel picks and announces it, so no port can race.
  process_.emplace(std::vector<std::string>{FAULT_ORIGIN_BINARY, "--port", "0"},
                   dir_.path() / "fault_origin.log");
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline && process_->running()) {
    if (const auto port = announced_port(process_->log())) {
      port_ = *port;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  throw std::runtime_error("fault_origin did not start:\n" + process_->log());
}

std::string FaultOrigin::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

void FaultOrigin::put_object(const std::string& path, const ObjectSpec& spec) {
  const Response response =
      control_.perform({.method = "PUT",
                        .url = url() + "/_control/objects?path=" + percent_encoded(path),
                        .body = to_json(spec)});
  EXPECT_EQ(response.status, 200) << "put_object(" << path << "): " << response.error
                                  << response.body;
}

std::vector<LoggedRequest> FaultOrigin::requests() {
  const Response response = control_.perform({.url = url() + "/_control/log"});
  std::vector<LoggedRequest> requests;
  if (response.status != 200) {
    ADD_FAILURE() << "fault_origin log: " << response.status << " " << response.error;
    return requests;
  }
  const boost::json::value log = boost::json::parse(response.body);
  for (const auto& entry : log.as_array()) requests.push_back(parse_logged_request(entry));
  return requests;
}

void FaultOrigin::clear_log() {
  const Response response = control_.perform({.method = "DELETE", .url = url() + "/_control/log"});
  EXPECT_EQ(response.status, 200) << "fault_origin clear_log: " << response.error;
}

}  // namespace casserole::test
