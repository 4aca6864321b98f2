// offload: runs a blocking function on a thread pool and resumes the calling coroutine on its own
// executor with the result, or with the exception the function threw. This keeps file I/O off the
// thread that serves sockets. The function runs on another thread, so it must touch nothing the
// I/O thread owns: it gets its inputs by value and hands everything back through its result.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <type_traits>
#include <utility>

namespace casserole::async {

template <class F>
boost::asio::awaitable<std::invoke_result_t<F&>> offload(boost::asio::thread_pool& pool, F work) {
  using Result = std::invoke_result_t<F&>;
  co_return co_await boost::asio::co_spawn(
      pool,
      [work = std::move(work)]() mutable -> boost::asio::awaitable<Result> { co_return work(); },
      boost::asio::use_awaitable);
}

}  // namespace casserole::async
