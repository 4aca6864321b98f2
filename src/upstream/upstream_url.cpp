#include "upstream/upstream_url.hpp"

#include <boost/url/parse.hpp>
#include <charconv>
#include <stdexcept>

namespace casserole::upstream {

UpstreamUrl UpstreamUrl::parse(std::string_view text) {
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) throw std::invalid_argument("not an absolute URL: " + std::string(text));
  const auto& url = *parsed;
  UpstreamUrl out;
  if (url.scheme_id() == boost::urls::scheme::https) {
    out.tls = true;
  } else if (url.scheme_id() != boost::urls::scheme::http) {
    throw std::invalid_argument("scheme must be http or https: " + std::string(text));
  }
  if (!url.has_authority() || url.host().empty()) {
    throw std::invalid_argument("URL has no host: " + std::string(text));
  }
  out.host = url.host_type() == boost::urls::host_type::ipv6
                 ? std::string(url.encoded_host_address())
                 : std::string(url.encoded_host());
  out.port = out.tls ? "443" : "80";
  if (url.has_port() && !url.port().empty()) {
    // Boost.URL accepts any digits as a port; only 1-65535 can be connected to.
    std::string_view digits = url.port();
    unsigned long port = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535) {
      throw std::invalid_argument("URL port must be 1-65535: " + std::string(text));
    }
    out.port = std::to_string(port);
  }
  out.host_header = std::string(url.encoded_host_and_port());
  out.base_path = std::string(url.encoded_path());
  while (!out.base_path.empty() && out.base_path.back() == '/') out.base_path.pop_back();
  return out;
}

}  // namespace casserole::upstream
