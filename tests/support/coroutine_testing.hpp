// Small pieces for tests that drive coroutines on an io_context of their own.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>

namespace casserole::test {

inline boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds duration) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, duration);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

// A co_spawn completion handler: an exception escaping a coroutine fails the test, not vanishes.
inline void rethrow(std::exception_ptr error) {
  if (error) std::rethrow_exception(error);
}

}  // namespace casserole::test
