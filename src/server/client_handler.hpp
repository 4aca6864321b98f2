// ClientHandler: the client listener's requests, admitted already (request_gate: the target is
// in normal form): what route() lets the cache answer goes to the mirror, everything else is
// passed through.
#pragma once

#include <string>
#include <vector>

#include "server/handler.hpp"
#include "server/mirror_handler.hpp"
#include "server/passthrough.hpp"

namespace casserole::server {

class ClientHandler : public Handler {
 public:
  ClientHandler(MirrorHandler& mirror, Passthrough& passthrough,
                std::vector<std::string> passthrough_patterns)
      : mirror_(mirror),
        passthrough_(passthrough),
        passthrough_patterns_(std::move(passthrough_patterns)) {}

  boost::asio::awaitable<void> handle(Exchange& exchange) override;

 private:
  MirrorHandler& mirror_;
  Passthrough& passthrough_;
  std::vector<std::string> passthrough_patterns_;
};

}  // namespace casserole::server
