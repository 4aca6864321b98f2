// Signal: wakes every coroutine waiting on it. The event-loop equivalent of a condition variable:
// waiters re-check their condition after waking, so a missed or spurious wake-up is harmless.
// Not thread-safe: it lives on the single I/O thread like everything it coordinates.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <list>

namespace casserole::async {

class Signal {
 public:
  Signal() = default;
  Signal(const Signal&) = delete;
  Signal& operator=(const Signal&) = delete;

  // Suspends until notify_all() or the deadline. True when notified.
  boost::asio::awaitable<bool> wait_until(std::chrono::steady_clock::time_point deadline);
  boost::asio::awaitable<bool> wait() {
    return wait_until(std::chrono::steady_clock::time_point::max());
  }

  void notify_all();

 private:
  std::list<boost::asio::steady_timer*> waiters_;
};

}  // namespace casserole::async
