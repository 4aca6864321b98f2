#include "upstream/upstream_client.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/write.hpp>

#include "upstream/upstream_error.hpp"

namespace casserole::upstream {
namespace http = boost::beast::http;

http::request<http::empty_body> UpstreamClient::request_for(http::verb method,
                                                            std::string_view target,
                                                            const HeaderList& headers) const {
  http::request<http::empty_body> request{method, pool_.url().target_for(target), 11};
  request.set(http::field::host, pool_.url().host_header);
  for (const auto& [name, value] : headers) request.insert(name, value);
  request.keep_alive(true);
  return request;
}

boost::asio::awaitable<std::unique_ptr<UpstreamResponse>> UpstreamClient::fetch(
    http::verb method, std::string_view target, const HeaderList& headers, std::string_view body,
    const UpstreamResponse::InterimSink& interim) {
  http::request<http::span_body<const char>> request(
      std::move(request_for(method, target, headers).base()),
      boost::beast::span<const char>(body.data(), body.size()));
  if (!body.empty()) request.content_length(body.size());

  for (;;) {
    bool reused = false;
    try {
      ConnectionPool::Lease lease = co_await pool_.acquire();
      reused = lease.reused;
      auto response = std::make_unique<UpstreamResponse>(pool_, std::move(lease.connection),
                                                         method == http::verb::head);
      boost::beast::error_code ec;
      response->connection().tcp().expires_after(pool_.options().io_timeout);
      co_await http::async_write(response->connection(), request,
                                 boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      if (ec == boost::beast::error::timeout) {
        throw UpstreamError(UpstreamError::Kind::timeout, "sending the request timed out");
      }
      if (ec)
        throw UpstreamError(UpstreamError::Kind::protocol, "sending the request: " + ec.message());
      co_await response->read_header(interim);
      co_return response;
    } catch (const UpstreamError& error) {
      // A kept-alive connection can be closed by the upstream just as we reuse it; only a fresh
      // connection's failure says something about the upstream.
      if (!reused || error.kind() == UpstreamError::Kind::timeout) {
        pool_.stats().failed(error);
        throw;
      }
    }
  }
}

}  // namespace casserole::upstream
