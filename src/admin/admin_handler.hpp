// AdminHandler: the admin listener's requests, apart from the client port (whose every path
// belongs to the upstream) and the peering port. GET or HEAD of /metrics (Prometheus), /healthz
// (live while the event loop answers), /readyz (503 with the reasons when not ready), /status
// (JSON) and / (the status page, which reads /status). Reading is open to whoever reaches the
// listener, which is on loopback unless the operator says otherwise; any other method is for
// changing state and, when a token is set, must carry it as `Authorization: Bearer TOKEN` (401
// otherwise, before anything else is looked at).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>

#include "admin/node_state.hpp"
#include "server/handler.hpp"

namespace casserole::admin {

class AdminHandler : public server::Handler {
 public:
  AdminHandler(const NodeState& node, std::string token) : node_(node), token_(std::move(token)) {}

  boost::asio::awaitable<void> handle(server::Exchange& exchange) override;

 private:
  bool authorized(const server::Exchange& exchange) const;

  const NodeState& node_;
  std::string token_;
};

}  // namespace casserole::admin
