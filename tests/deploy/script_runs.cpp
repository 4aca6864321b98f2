#include "deploy/script_runs.hpp"

#include <signal.h>

#include <cerrno>
#include <regex>
#include <thread>

namespace casserole::test::deploy {

std::vector<Started> started(const std::string& output) {
  static const std::regex line(R"((origin|etcd|node \d+) +(http://127\.0\.0\.1:(\d+)) +pid (\d+))");
  std::vector<Started> result;
  for (std::sregex_iterator it(output.begin(), output.end(), line), end; it != end; ++it) {
    result.push_back({(*it)[1], (*it)[2], static_cast<std::uint16_t>(std::stoi((*it)[3])),
                      static_cast<pid_t>(std::stoi((*it)[4]))});
  }
  return result;
}

bool alive(pid_t pid) {
  return ::kill(pid, 0) == 0 || errno != ESRCH;
}

bool wait_for_output(Process& process, std::string_view text, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (process.log().find(text) == std::string::npos) {
    if (!process.running() || std::chrono::steady_clock::now() >= deadline) {
      return process.log().find(text) != std::string::npos;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

}  // namespace casserole::test::deploy
