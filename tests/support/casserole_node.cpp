#include "support/casserole_node.hpp"

#include <algorithm>

#include <gtest/gtest.h>

#include <stdexcept>

#include "support/ports.hpp"

namespace casserole::test {
namespace {

// Generous: sanitizer builds start slowly, and a node may first scan its disk cache.
constexpr auto kStartTimeout = std::chrono::seconds(20);

std::vector<std::string> command(std::vector<std::string> flags) {
  flags.insert(flags.begin(), CASSEROLE_BINARY);
  return flags;
}

}  // namespace

CasseroleNode::CasseroleNode(std::vector<std::string> flags, Environment env)
    : flags_(std::move(flags)), env_(std::move(env)), port_(free_port()) {
  flags_.insert(flags_.begin(), "--address=127.0.0.1:" + std::to_string(port_));
  const bool admin_given = std::any_of(flags_.begin(), flags_.end(), [](const std::string& flag) {
    return flag.starts_with("--admin-address");
  });
  if (!admin_given) {
    admin_port_ = free_port();
    flags_.push_back("--admin-address=127.0.0.1:" + std::to_string(admin_port_));
  }
  start();
}

std::string CasseroleNode::admin_url() const {
  return "http://127.0.0.1:" + std::to_string(admin_port_);
}

std::string CasseroleNode::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string CasseroleNode::log() const {
  return process_ ? process_->log() : std::string();
}

void CasseroleNode::restart() {
  process_->stop();
  start();
}

void CasseroleNode::start() {
  process_.emplace(command(flags_), dir_.path() / "casserole.log", env_, dir_.path());
  // The admin listener opens just after the client one; a test may ask it first thing.
  if (process_->wait_until_listening(port_, kStartTimeout) &&
      (admin_port_ == 0 || process_->wait_until_listening(admin_port_, kStartTimeout))) {
    return;
  }
  const auto exit_code = process_->wait_exit(std::chrono::milliseconds(0));
  process_->stop();
  throw std::runtime_error(
      (exit_code ? "casserole exited with code " + std::to_string(*exit_code)
                 : std::string("casserole did not listen on port ") + std::to_string(port_)) +
      "; log:\n" + process_->log());
}

std::pair<int, std::string> CasseroleNode::run_to_exit(std::vector<std::string> flags,
                                                       Environment env,
                                                       std::chrono::milliseconds timeout) {
  TempDir dir;
  Process process(command(std::move(flags)), dir.path() / "casserole.log", std::move(env),
                  dir.path());
  const auto exit_code = process.wait_exit(timeout);
  if (!exit_code) {
    process.stop();
    ADD_FAILURE() << "casserole still running after " << timeout.count() << " ms; log:\n"
                  << process.log();
  }
  return {exit_code.value_or(-1), process.log()};
}

}  // namespace casserole::test
