// TestOrigin: an HTTP/1.1 origin inside the test's own io_context, serving one object per path
// with HEAD, GET and single byte ranges, honouring If-Match, If-Unmodified-Since, If-None-Match
// and If-Modified-Since. It records every request so tests can count what reached the upstream,
// and each object can be changed or made to misbehave between requests.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "upstream/header_list.hpp"

namespace casserole::mirror::testing {

struct OriginObject {
  std::string body;
  std::string etag;           // with its quotes; empty for none
  std::string last_modified;  // empty for none
  std::string cache_control = "max-age=3600";
  bool ignore_ranges = false;         // answer a ranged GET with 200 and the whole body
  bool ignore_preconditions = false;  // answer as if If-Match and the like were absent
};

struct OriginRequest {
  std::string method;
  std::string target;
  upstream::HeaderList headers;

  std::string field(std::string_view name) const;
};

class TestOrigin {
 public:
  explicit TestOrigin(boost::asio::io_context& io);

  std::string url() const;
  std::map<std::string, OriginObject>& objects() { return objects_; }
  const std::vector<OriginRequest>& requests() const { return requests_; }
  std::size_t count(std::string_view method) const;

  // Closes the listener and every connection so the io_context runs out of work.
  void stop();

 private:
  boost::asio::awaitable<void> accept();
  boost::asio::awaitable<void> serve(std::shared_ptr<boost::beast::tcp_stream> stream);

  boost::asio::ip::tcp::acceptor acceptor_;
  std::map<std::string, OriginObject> objects_;
  std::vector<OriginRequest> requests_;
  std::vector<std::weak_ptr<boost::beast::tcp_stream>> connections_;
};

}  // namespace casserole::mirror::testing
