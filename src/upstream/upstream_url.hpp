// UpstreamUrl: the mirrored root, split into what connecting and building request targets need.
// A request for path P is sent to base_path + P.
#pragma once

#include <string>
#include <string_view>

namespace casserole::upstream {

struct UpstreamUrl {
  bool tls = false;
  std::string host;         // without brackets for IPv6 literals
  std::string port;         // numeric service, defaulted from the scheme
  std::string base_path;    // no trailing slash; empty for the root
  std::string host_header;  // Host field value: host[:port] as given

  // Throws std::invalid_argument for anything but an absolute http(s) URL with a host.
  static UpstreamUrl parse(std::string_view url);

  std::string target_for(std::string_view client_target) const {
    return base_path + std::string(client_target);
  }
};

}  // namespace casserole::upstream
