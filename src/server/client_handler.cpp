#include "server/client_handler.hpp"

#include "server/route.hpp"

namespace casserole::server {

boost::asio::awaitable<void> ClientHandler::handle(Exchange& exchange) {
  const auto& request = exchange.request();
  RouteFacts facts{
      .method = request.method_string(),
      .target = exchange.target(),
      .has_authorization = request.count(boost::beast::http::field::authorization) > 0,
      .has_body = exchange.has_body(),
  };
  if (route(facts, passthrough_patterns_) == Route::mirror) {
    co_await mirror_.serve(exchange);
  } else {
    co_await passthrough_.relay(exchange);
  }
}

}  // namespace casserole::server
