#include "admin/admin_handler.hpp"

#include <string_view>

#include "admin/metrics_page.hpp"
#include "admin/status_page.hpp"
#include "admin/status_report.hpp"
#include "http/header_util.hpp"
#include "peering/peer_protocol.hpp"

namespace casserole::admin {
namespace {

// Admin answers describe this moment; nothing between here and the reader may keep them.
server::Exchange::Head answer_head(unsigned status, std::string_view type, std::size_t length) {
  return {status,
          {{"Content-Type", std::string(type)},
           {"Content-Length", std::to_string(length)},
           {"Cache-Control", "no-store"}}};
}

boost::asio::awaitable<void> send(server::Exchange& exchange, unsigned status,
                                  std::string_view type, std::string_view body) {
  exchange.hold_header(answer_head(status, type, body.size()));
  if (!exchange.head()) co_await exchange.write_body(body);
}

constexpr std::string_view kEndpoints =
    "no such admin endpoint; try /, /status, /metrics, /healthz or /readyz";

std::string readiness_text(const std::vector<std::string>& reasons) {
  if (reasons.empty()) return "ready\n";
  std::string text = "not ready:\n";
  for (const auto& reason : reasons) text.append("- ").append(reason).append("\n");
  return text;
}

}  // namespace

bool AdminHandler::authorized(const server::Exchange& exchange) const {
  constexpr std::string_view kScheme = "Bearer ";
  const std::string_view given = exchange.field("Authorization");
  return given.size() > kScheme.size() &&
         casserole::http::iequals(given.substr(0, kScheme.size()), kScheme) &&
         peering::secret_matches(token_, given.substr(kScheme.size()));
}

boost::asio::awaitable<void> AdminHandler::handle(server::Exchange& exchange) {
  const auto method = exchange.request().method();
  const bool reads =
      method == boost::beast::http::verb::get || method == boost::beast::http::verb::head;
  if (!reads) {
    // Named, not braced inside the co_await: GCC 12 miscompiles braced temporaries there.
    if (!token_.empty() && !authorized(exchange)) {
      const upstream::HeaderList challenge{{"WWW-Authenticate", "Bearer"}};
      co_return co_await exchange.send_error(401, "changing state needs the admin token",
                                             challenge);
    }
    const upstream::HeaderList allowed{{"Allow", "GET, HEAD"}};
    co_return co_await exchange.send_error(405, "the admin listener only reads here", allowed);
  }
  const std::string_view target = exchange.target();
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/metrics") {
    co_return co_await send(exchange, 200, kMetricsContentType, render_metrics(node_));
  }
  if (path == "/healthz") co_return co_await send(exchange, 200, "text/plain", "live\n");
  if (path == "/readyz") {
    const auto reasons = not_ready_because(node_);
    co_return co_await send(exchange, reasons.empty() ? 200 : 503, "text/plain; charset=utf-8",
                            readiness_text(reasons));
  }
  if (path == "/status") {
    co_return co_await send(exchange, 200, "application/json", render_status(node_));
  }
  if (path == "/") {
    co_return co_await send(exchange, 200, "text/html; charset=utf-8", status_page_html());
  }
  co_await exchange.send_error(404, kEndpoints);
}

}  // namespace casserole::admin
