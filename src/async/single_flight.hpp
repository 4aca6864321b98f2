// SingleFlight: concurrent calls for one key share one execution. The first caller runs the work;
// callers arriving while it runs wait and receive the same result (or the same exception). Once it
// finishes the key is forgotten, so the next call runs the work again; caching the result is the
// caller's business. This is what keeps one upstream request per object or segment, however many
// clients ask at once.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "async/signal.hpp"

namespace casserole::async {

template <class T>
class SingleFlight {
 public:
  boost::asio::awaitable<T> run(const std::string& key,
                                std::function<boost::asio::awaitable<T>()> work) {
    if (auto it = calls_.find(key); it != calls_.end()) {
      std::shared_ptr<Call> call = it->second;
      while (!call->done) co_await call->finished.wait();
      if (call->error) std::rethrow_exception(call->error);
      co_return *call->value;
    }
    auto call = std::make_shared<Call>();
    calls_.emplace(key, call);
    try {
      call->value.emplace(co_await work());
    } catch (...) {
      call->error = std::current_exception();
    }
    call->done = true;
    calls_.erase(key);
    call->finished.notify_all();
    if (call->error) std::rethrow_exception(call->error);
    co_return *call->value;
  }

  bool in_flight(const std::string& key) const { return calls_.contains(key); }

 private:
  struct Call {
    bool done = false;
    std::optional<T> value;
    std::exception_ptr error;
    Signal finished;
  };
  std::unordered_map<std::string, std::shared_ptr<Call>> calls_;
};

}  // namespace casserole::async
