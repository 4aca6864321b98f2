// The checks every request passes before a handler sees it, on either listener. Framing that
// could smuggle a second request is refused (RFC 9112 §6.1, §6.3: a Transfer-Encoding whose final
// coding is not chunked is a 400, a coding besides chunked, which this node does not implement, a
// 501), so is a request without exactly one valid Host (§3.2: 400), and the target is put in
// normal form (http/request_target.hpp) or refused (400). A pure function of the header; the
// connection of a refused request is closed after the answer.
#pragma once

#include <boost/beast/http/message.hpp>
#include <string>
#include <string_view>

namespace casserole::server {

struct Admission {
  std::string target;      // admitted: the target in normal form
  unsigned status = 0;     // refused: the answer's status, else 0
  std::string_view why{};  // refused: what the client got wrong
};

Admission admit(const boost::beast::http::request_header<>& request);

}  // namespace casserole::server
