// UpstreamClient: sends requests (HEAD, GET, ranged GET, and small requests whose body is held in
// memory, such as etcd's POSTs) to the upstream and returns the response with its header read and
// its body ready to stream. Callers send only requests that are safe to repeat, so a pooled
// connection that the upstream had closed meanwhile is retried on a fresh one.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/verb.hpp>
#include <memory>
#include <string_view>

#include "upstream/connection_pool.hpp"
#include "upstream/header_list.hpp"
#include "upstream/upstream_response.hpp"

namespace casserole::upstream {

class UpstreamClient {
 public:
  explicit UpstreamClient(ConnectionPool& pool) : pool_(pool) {}

  // `target` is the client's request target; the mirror's base path is prepended. A non-empty
  // `body` is sent with its Content-Length (its Content-Type is the caller's, in `headers`) and
  // must outlive the call. Interim answers go to `interim` when one is given.
  boost::asio::awaitable<std::unique_ptr<UpstreamResponse>> fetch(
      boost::beast::http::verb method, std::string_view target, const HeaderList& headers,
      std::string_view body = {}, const UpstreamResponse::InterimSink& interim = {});

  // The header of a request for `target` (base path prepended, Host set, keep-alive), for callers
  // that send a body of their own.
  boost::beast::http::request<boost::beast::http::empty_body> request_for(
      boost::beast::http::verb method, std::string_view target, const HeaderList& headers) const;

  ConnectionPool& pool() { return pool_; }

 private:
  ConnectionPool& pool_;
};

}  // namespace casserole::upstream
