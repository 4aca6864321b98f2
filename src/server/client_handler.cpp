#include "server/client_handler.hpp"

#include "server/route.hpp"

namespace casserole::server {
using Forward = casserole::http::CacheStatus::Forward;

boost::asio::awaitable<void> ClientHandler::handle(Exchange& exchange) {
  const auto& request = exchange.request();
  RouteFacts facts{
      .method = request.method_string(),
      .target = exchange.target(),
      .has_authorization = request.count(boost::beast::http::field::authorization) > 0,
      .has_body = exchange.has_body(),
  };
  const Route routed = route(facts, passthrough_patterns_);
  if (routed == Route::mirror) co_return co_await mirror_.serve(exchange);
  auto& status = exchange.cache_status();
  status.fwd = routed == Route::method ? Forward::method : Forward::bypass;
  status.detail = routed == Route::authorization ? "authorization"
                  : routed == Route::body        ? "request-body"
                  : routed == Route::pattern     ? "passthrough"
                                                 : "";
  co_await passthrough_.relay(exchange);
}

}  // namespace casserole::server
