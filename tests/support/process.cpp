#include "support/process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>

#include "support/ports.hpp"

extern char** environ;

namespace casserole::test {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(5);

// The test process may ignore SIGPIPE (libcurl needs that); ignored dispositions survive exec,
// so the child's are reset explicitly.
constexpr int kDefaultSignals[] = {SIGPIPE, SIGINT,  SIGTERM, SIGHUP,
                                   SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2};

std::vector<std::string> merged_environment(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> result;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view variable(*entry);
    const std::string_view name = variable.substr(0, variable.find('='));
    bool overridden = false;
    for (const auto& [extra_name, value] : extra) overridden |= extra_name == name;
    if (!overridden) result.emplace_back(variable);
  }
  for (const auto& [name, value] : extra) result.push_back(name + "=" + value);
  return result;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> result;
  for (auto& s : strings) result.push_back(s.data());
  result.push_back(nullptr);
  return result;
}

void check(int error, const char* what) {
  if (error != 0) throw std::system_error(error, std::generic_category(), what);
}

class SpawnSetup {
 public:
  SpawnSetup() {
    check(posix_spawn_file_actions_init(&actions_), "posix_spawn_file_actions_init");
    if (int error = posix_spawnattr_init(&attributes_); error != 0) {
      posix_spawn_file_actions_destroy(&actions_);
      check(error, "posix_spawnattr_init");
    }
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  ~SpawnSetup() {
    posix_spawnattr_destroy(&attributes_);
    posix_spawn_file_actions_destroy(&actions_);
  }
  posix_spawn_file_actions_t* actions() { return &actions_; }
  posix_spawnattr_t* attributes() { return &attributes_; }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attributes_;
};

}  // namespace

Process::Process(std::vector<std::string> argv, std::filesystem::path log_file,
                 std::vector<std::pair<std::string, std::string>> extra_env,
                 std::filesystem::path working_dir)
    : log_file_(std::move(log_file)) {
  if (argv.empty()) throw std::invalid_argument("Process: empty argv");
  SpawnSetup setup;
  check(posix_spawn_file_actions_addopen(setup.actions(), STDIN_FILENO, "/dev/null", O_RDONLY, 0),
        "addopen stdin");
  check(posix_spawn_file_actions_addopen(setup.actions(), STDOUT_FILENO, log_file_.c_str(),
                                         O_WRONLY | O_CREAT | O_APPEND, 0644),
        "addopen log");
  check(posix_spawn_file_actions_adddup2(setup.actions(), STDOUT_FILENO, STDERR_FILENO),
        "adddup2 stderr");
  if (!working_dir.empty()) {
    check(posix_spawn_file_actions_addchdir_np(setup.actions(), working_dir.c_str()), "addchdir");
  }
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int signal : kDefaultSignals) sigaddset(&defaults, signal);
  sigset_t empty_mask;
  sigemptyset(&empty_mask);
  check(posix_spawnattr_setsigdefault(setup.attributes(), &defaults), "setsigdefault");
  check(posix_spawnattr_setsigmask(setup.attributes(), &empty_mask), "setsigmask");
  check(
      posix_spawnattr_setflags(setup.attributes(), POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK),
      "setflags");

  std::vector<std::string> environment = merged_environment(extra_env);
  std::vector<char*> c_argv = c_strings(argv);
  std::vector<char*> c_environment = c_strings(environment);
  const int error = posix_spawnp(&pid_, c_argv[0], setup.actions(), setup.attributes(),
                                 c_argv.data(), c_environment.data());
  if (error != 0) {
    pid_ = -1;
    throw std::system_error(error, std::generic_category(), "cannot start " + argv[0]);
  }
}

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      exit_code_(std::exchange(other.exit_code_, std::nullopt)),
      log_file_(std::move(other.log_file_)) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    release();
    pid_ = std::exchange(other.pid_, -1);
    exit_code_ = std::exchange(other.exit_code_, std::nullopt);
    log_file_ = std::move(other.log_file_);
  }
  return *this;
}

Process::~Process() {
  release();
}

void Process::release() noexcept {
  try {
    stop();
  } catch (...) {
    // A destructor must not throw; stop() only throws on impossible waitpid errors.
  }
}

bool Process::reap(bool block) {
  if (exit_code_) return true;
  if (pid_ < 0) return false;
  int status = 0;
  pid_t result;
  do {
    result = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (result < 0 && errno == EINTR);
  if (result == 0) return false;
  if (result < 0) throw std::system_error(errno, std::generic_category(), "waitpid");
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return true;
}

bool Process::running() {
  return pid_ >= 0 && !reap(false);
}

std::optional<int> Process::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!reap(false)) {
    if (pid_ < 0 || std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
  return exit_code_;
}

void Process::stop(std::chrono::milliseconds grace) {
  if (pid_ < 0 || reap(false)) return;
  ::kill(pid_, SIGTERM);
  if (wait_exit(grace)) return;
  ::kill(pid_, SIGKILL);
  reap(true);
}

void Process::kill() {
  if (pid_ < 0 || reap(false)) return;
  ::kill(pid_, SIGKILL);
  reap(true);
}

bool Process::wait_until_listening(std::uint16_t port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!port_accepts(port)) {
    if (!running() || std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
  return running();
}

std::string Process::log() const {
  std::ifstream file(log_file_, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

}  // namespace casserole::test
