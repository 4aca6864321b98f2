#include "async/signal.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace casserole::async {

boost::asio::awaitable<bool> Signal::wait_until(std::chrono::steady_clock::time_point deadline) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, deadline);
  auto it = waiters_.insert(waiters_.end(), &timer);
  // Unregisters even when the coroutine is destroyed while suspended (shutdown).
  struct Unregister {
    std::list<boost::asio::steady_timer*>& list;
    std::list<boost::asio::steady_timer*>::iterator it;
    ~Unregister() { list.erase(it); }
  } unregister{waiters_, it};
  boost::system::error_code ec;
  co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  co_return ec == boost::asio::error::operation_aborted;
}

void Signal::notify_all() {
  for (auto* timer : waiters_) timer->cancel();
}

}  // namespace casserole::async
