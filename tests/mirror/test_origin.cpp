#include "test_origin.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "http/etag.hpp"
#include "http/header_util.hpp"
#include "http/http_date.hpp"
#include "http/range.hpp"

namespace casserole::mirror::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

using Response = http::response<http::string_body>;

bool not_after(std::string_view last_modified, std::string_view date) {
  auto modified = casserole::http::parse_http_date(last_modified);
  auto since = casserole::http::parse_http_date(date);
  return modified && since && *modified <= *since;
}

void describe(const OriginObject& object, Response& response) {
  if (!object.etag.empty()) response.set(http::field::etag, object.etag);
  if (!object.last_modified.empty()) response.set(http::field::last_modified, object.last_modified);
  if (!object.cache_control.empty()) {
    response.set(http::field::cache_control, object.cache_control);
  }
  response.set(http::field::date,
               casserole::http::format_http_date(std::chrono::system_clock::now()));
  response.set(http::field::content_type, "application/octet-stream");
}

// The answer to one request, with its body; HEAD answers carry the GET's Content-Length.
Response answer(const OriginRequest& request, const OriginObject* object) {
  Response response;
  response.version(11);
  response.keep_alive(true);
  if (!object) {
    response.result(http::status::not_found);
    response.body() = "no such object";
    response.prepare_payload();
    return response;
  }
  describe(*object, response);
  auto current = casserole::http::parse_entity_tag(object->etag);
  const bool head = request.method == "HEAD";
  auto status = http::status::ok;
  if (!object->ignore_preconditions) {
    const std::string if_match = request.field("If-Match");
    const std::string if_unmodified_since = request.field("If-Unmodified-Since");
    const std::string if_none_match = request.field("If-None-Match");
    const std::string if_modified_since = request.field("If-Modified-Since");
    if (!if_match.empty() ? !casserole::http::if_match_passes(if_match, current)
                          : !if_unmodified_since.empty() &&
                                !not_after(object->last_modified, if_unmodified_since)) {
      status = http::status::precondition_failed;
    } else if (!if_none_match.empty() ? casserole::http::if_none_match_hits(if_none_match, current)
                                      : !if_modified_since.empty() &&
                                            not_after(object->last_modified, if_modified_since)) {
      status = http::status::not_modified;
    }
  }
  if (status != http::status::ok) {
    response.result(status);
    response.content_length(0);
    return response;
  }
  std::string_view body = object->body;
  const std::string range = request.field("Range");
  if (!range.empty() && !object->ignore_ranges) {
    auto set = casserole::http::resolve_ranges(range, body.size());
    if (set.kind == casserole::http::RangeKind::partial && set.ranges.size() == 1) {
      const auto& r = set.ranges.front();
      response.result(http::status::partial_content);
      response.set(http::field::content_range,
                   casserole::http::format_content_range(r, body.size()));
      body = body.substr(r.first, r.length());
    }
  }
  response.set(http::field::accept_ranges, "bytes");
  response.content_length(body.size());
  if (!head) response.body() = std::string(body);
  return response;
}

}  // namespace

std::string OriginRequest::field(std::string_view name) const {
  return std::string(upstream::first_value(headers, name));
}

TestOrigin::TestOrigin(asio::io_context& io)
    : acceptor_(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
  asio::co_spawn(io, accept(), asio::detached);
}

std::string TestOrigin::url() const {
  return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
}

std::size_t TestOrigin::count(std::string_view method) const {
  return std::count_if(requests_.begin(), requests_.end(),
                       [&](const OriginRequest& r) { return r.method == method; });
}

void TestOrigin::stop() {
  acceptor_.close();
  for (auto& weak : connections_) {
    if (auto stream = weak.lock()) stream->socket().close();
  }
}

asio::awaitable<void> TestOrigin::accept() {
  for (;;) {
    boost::system::error_code ec;
    auto socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    connections_.push_back(stream);
    asio::co_spawn(acceptor_.get_executor(), serve(stream), asio::detached);
  }
}

asio::awaitable<void> TestOrigin::serve(std::shared_ptr<beast::tcp_stream> stream) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::empty_body> request;
    boost::system::error_code ec;
    co_await http::async_read(*stream, buffer, request,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    OriginRequest recorded{std::string(request.method_string()), std::string(request.target()), {}};
    for (const auto& field : request) {
      recorded.headers.emplace_back(field.name_string(), field.value());
    }
    requests_.push_back(recorded);
    auto it = objects_.find(recorded.target);
    Response response = answer(recorded, it == objects_.end() ? nullptr : &it->second);
    if (recorded.method == "HEAD") {
      // Only the header: its Content-Length describes the body a GET would get.
      http::response_serializer<http::string_body> serializer(response);
      serializer.split(true);
      co_await http::async_write_header(*stream, serializer,
                                        asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await http::async_write(*stream, response, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) co_return;
  }
}

}  // namespace casserole::mirror::testing
