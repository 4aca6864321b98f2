// fault_origin: a scriptable HTTP/1.1 origin for fault tests (driven by support/fault_origin.hpp).
//
// Usage: fault_origin --port N (0: any), binds 127.0.0.1 and prints "listening <port>".
// Objects are registered with PUT /_control/objects?path=<target> and a JSON spec; their bodies
// are the pattern of support/pattern.hpp, generated while sending, never stored. The spec can
// make an object slow, stalling, cut off, range-ignoring, chunked or changing version, precede
// its answers with 1xx ones, or say on a GET what its HEAD did not.
// /_echo/... reports what was received. GET /_control/log lists the requests received, DELETE
// clears it. One thread, one coroutine per connection, keep-alive; every buffer is bounded.

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <deque>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "support/object_spec.hpp"
#include "support/pattern.hpp"
#include "support/sha256.hpp"

namespace casserole::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t kMaxLogEntries = 100'000;
constexpr std::size_t kMaxControlBody = 1 << 20;
constexpr std::size_t kMaxConnections = 4096;
constexpr std::uint32_t kMaxHeaderBytes = 64 * 1024;
constexpr std::size_t kBodyChunk = 64 * 1024;
constexpr auto kIdleTimeout = 60s;
// A proxy may pause reading an upstream body for a long time (backpressure); that is no fault.
constexpr auto kIoTimeout = 5min;
constexpr auto kMaxStall = 10min;

// ---------------------------------------------------------------------------------------------
// Object specs and versions

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::string http_date(std::time_t time) {
  std::tm parts{};
  ::gmtime_r(&time, &parts);
  char text[64];
  const std::size_t size = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &parts);
  return std::string(text, size);
}

std::optional<std::time_t> parse_http_date(const std::string& text) {
  std::tm parts{};
  const char* end = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parts);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return ::timegm(&parts);
}

// What one request sees of an object: its spec as of version 1 or 2 (change_after_gets).
struct Version {
  std::uint64_t seed;
  std::uint64_t size;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string etag;
  std::optional<std::time_t> last_modified;
};

// A registered object; the GETs it has served decide which version the next request sees.
struct Object {
  ObjectSpec spec;
  std::uint64_t gets = 0;

  Version current() const {
    const bool changed = spec.change_after_gets > 0 && gets >= spec.change_after_gets;
    Version version{spec.seed + (changed ? 1 : 0),
                    changed ? spec.changed_size.value_or(spec.size) : spec.size,
                    spec.headers,
                    {},
                    {}};
    for (auto& [name, value] : version.headers) {
      if (iequals(name, "ETag")) {
        // "v1" -> "v1-2", W/"v1" -> W/"v1-2".
        if (changed) value.insert(value.ends_with('"') ? value.size() - 1 : value.size(), "-2");
        version.etag = value;
      } else if (iequals(name, "Last-Modified")) {
        version.last_modified = parse_http_date(value);
        if (changed && version.last_modified) {
          *version.last_modified += 3600;
          value = http_date(*version.last_modified);
        }
      }
    }
    return version;
  }
};

// ---------------------------------------------------------------------------------------------
// Conditionals and ranges (RFC 9110 sections 13 and 14), just enough for an origin

std::vector<std::string_view> entity_tags(std::string_view list) {
  std::vector<std::string_view> tags;
  std::size_t at = 0;
  while (at < list.size()) {
    if (list[at] == ' ' || list[at] == '\t' || list[at] == ',') {
      ++at;
      continue;
    }
    const std::size_t start = at;
    if (list.substr(at, 2) == "W/") at += 2;
    if (at < list.size() && list[at] == '"') {
      const std::size_t close = list.find('"', at + 1);
      at = close == std::string_view::npos ? list.size() : close + 1;
    } else {
      at = std::min(list.find(',', at), list.size());
    }
    tags.push_back(list.substr(start, at - start));
  }
  return tags;
}

bool is_weak(std::string_view tag) {
  return tag.starts_with("W/");
}

std::string_view opaque(std::string_view tag) {
  return is_weak(tag) ? tag.substr(2) : tag;
}

bool strong_match(std::string_view list, std::string_view etag) {
  if (list == "*") return true;
  if (etag.empty() || is_weak(etag)) return false;
  const auto tags = entity_tags(list);
  return std::any_of(tags.begin(), tags.end(),
                     [&](std::string_view tag) { return !is_weak(tag) && tag == etag; });
}

bool weak_match(std::string_view list, std::string_view etag) {
  if (list == "*") return true;
  if (etag.empty()) return false;
  const auto tags = entity_tags(list);
  return std::any_of(tags.begin(), tags.end(),
                     [&](std::string_view tag) { return opaque(tag) == opaque(etag); });
}

enum class Precondition { kProceed, kFailed, kNotModified };

template <typename Fields>
Precondition evaluate_preconditions(const Fields& request, const Version& version) {
  const auto if_match = request.find(http::field::if_match);
  if (if_match != request.end()) {
    if (!strong_match(if_match->value(), version.etag)) return Precondition::kFailed;
  } else if (const auto since = request.find(http::field::if_unmodified_since);
             since != request.end() && version.last_modified) {
    const auto date = parse_http_date(std::string(since->value()));
    if (date && *version.last_modified > *date) return Precondition::kFailed;
  }
  const auto if_none_match = request.find(http::field::if_none_match);
  if (if_none_match != request.end()) {
    if (weak_match(if_none_match->value(), version.etag)) return Precondition::kNotModified;
  } else if (const auto since = request.find(http::field::if_modified_since);
             since != request.end() && version.last_modified) {
    const auto date = parse_http_date(std::string(since->value()));
    if (date && *version.last_modified <= *date) return Precondition::kNotModified;
  }
  return Precondition::kProceed;
}

struct RangeRequest {
  enum Kind { kWhole, kSingle, kUnsatisfiable } kind = kWhole;
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};

std::optional<std::uint64_t> parse_number(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// A malformed Range is ignored (whole body), as RFC 9110 allows; several ranges too.
RangeRequest parse_range(std::string_view header, std::uint64_t size) {
  constexpr std::string_view kUnit = "bytes=";
  if (header.size() < kUnit.size() || !iequals(header.substr(0, kUnit.size()), kUnit)) return {};
  const std::string_view spec = header.substr(kUnit.size());
  const auto dash = spec.find('-');
  if (spec.find(',') != std::string_view::npos || dash == std::string_view::npos) return {};
  const auto first = parse_number(spec.substr(0, dash));
  const auto last = parse_number(spec.substr(dash + 1));
  if (!first) {
    if (!last || dash != 0) return {};
    if (*last == 0 || size == 0) return {RangeRequest::kUnsatisfiable};
    return {RangeRequest::kSingle, size - std::min(*last, size), size - 1};
  }
  if (dash + 1 < spec.size() && (!last || *last < *first)) return {};
  if (*first >= size) return {RangeRequest::kUnsatisfiable};
  return {RangeRequest::kSingle, *first, std::min(last.value_or(size - 1), size - 1)};
}

// ---------------------------------------------------------------------------------------------
// Shared state

// Everything the connections share. One thread runs them all, so nothing here is locked.
struct Origin {
  std::map<std::string, Object, std::less<>> objects;
  std::deque<LoggedRequest> log;
  std::size_t connections = 0;

  Object* find(std::string_view target) {
    auto found = objects.find(target);
    if (found == objects.end()) found = objects.find(target.substr(0, target.find('?')));
    return found == objects.end() ? nullptr : &found->second;
  }

  template <typename Fields>
  void record(std::string_view method, std::string_view target, const Fields& request) {
    const auto field = [&](http::field name) { return std::string(request[name]); };
    if (log.size() == kMaxLogEntries) log.pop_front();
    log.push_back({std::string(method), std::string(target), field(http::field::range),
                   field(http::field::if_match), field(http::field::if_unmodified_since),
                   field(http::field::if_none_match), field(http::field::if_modified_since),
                   field(http::field::authorization)});
  }

  std::string log_json() const {
    json::array entries;
    for (const auto& entry : log) entries.push_back(to_json(entry));
    return json::serialize(entries);
  }
};

// The echo reply without the body digest; header names lower-cased, repeats joined.
template <typename Fields>
json::object describe(const Fields& request) {
  json::object headers;
  for (const auto& field : request) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const std::string_view value = field.value();
    if (auto* previous = headers.if_contains(name)) {
      previous->get_string().append(", ").append(value);
    } else {
      headers[name] = value;
    }
  }
  return json::object{{"method", request.method_string()},
                      {"target", request.target()},
                      {"headers", std::move(headers)}};
}

// ---------------------------------------------------------------------------------------------
// One connection

using Parser = http::request_parser<http::buffer_body>;

template <typename Message>
void set_date(Message& message) {
  if (message.find(http::field::date) == message.end()) {
    message.set(http::field::date, http_date(std::time(nullptr)));
  }
}

http::response<http::string_body> text_response(http::status status, unsigned version,
                                                bool keep_alive, std::string body,
                                                std::string_view content_type = "text/plain") {
  http::response<http::string_body> response{status, version};
  response.keep_alive(keep_alive);
  if (!body.empty()) response.set(http::field::content_type, content_type);
  set_date(response);
  response.body() = std::move(body);
  return response;
}

asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration duration) {
  if (duration <= duration.zero()) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(use_tuple);
}

// One client connection: reads requests one after the other (keep-alive, pipelining) and
// answers each; ends on a fault the spec asks for, a transport error, or a malformed request.
class Session {
 public:
  Session(tcp::socket socket, Origin& origin) : stream_(std::move(socket)), origin_(origin) {
    ++origin_.connections;
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() { --origin_.connections; }

  asio::awaitable<void> run() {
    for (;;) {
      Parser parser;
      parser.header_limit(kMaxHeaderBytes);
      parser.body_limit(boost::none);
      stream_.expires_after(kIdleTimeout);
      const auto [error, size] =
          co_await http::async_read_header(stream_, buffer_, parser, use_tuple);
      if (error) {
        co_await reject_if_malformed(error);
        break;
      }
      if (!co_await handle(parser)) break;
    }
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

 private:
  // A request that is not HTTP gets a 400; a connection that failed or ended gets nothing.
  asio::awaitable<void> reject_if_malformed(beast::error_code error) {
    if (error.category() == http::make_error_code(http::error::bad_target).category() &&
        error != http::error::end_of_stream && error != http::error::partial_message) {
      co_await send_text(http::status::bad_request, 11, false,
                         "malformed request: " + error.message() + "\n");
    }
  }

  // Each handler returns whether the connection can serve another request.
  asio::awaitable<bool> handle(Parser& parser) {
    const auto& request = parser.get();
    const std::string target(request.target());
    const std::string method(request.method_string());
    const bool keep_alive = request.keep_alive();
    if (target.starts_with("/_control/")) co_return co_await control(parser, target, keep_alive);
    origin_.record(method, target, request);
    if (target == "/_echo" || target.starts_with("/_echo/") || target.starts_with("/_echo?")) {
      co_return co_await echo(parser, keep_alive);
    }
    if (const auto error = co_await read_body(parser, [](std::string_view) {})) {
      co_await reject_if_malformed(error);
      co_return false;
    }
    Object* object = origin_.find(target);
    if (object == nullptr) {
      co_return co_await send_text(http::status::not_found, request.version(), keep_alive,
                                   "no object at " + target + "\n");
    }
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      auto response = text_response(http::status::method_not_allowed, request.version(), keep_alive,
                                    "only GET and HEAD\n");
      response.set(http::field::allow, "GET, HEAD");
      co_return co_await send(std::move(response));
    }
    co_return co_await serve_object(request, *object, keep_alive);
  }

  // Feeds the request body to `sink` in bounded pieces, answering Expect: 100-continue.
  asio::awaitable<beast::error_code> read_body(Parser& parser,
                                               const std::function<void(std::string_view)>& sink) {
    if (parser.is_done()) co_return beast::error_code();
    if (iequals(parser.get()[http::field::expect], "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      stream_.expires_after(kIoTimeout);
      const auto [error, size] =
          co_await asio::async_write(stream_, asio::buffer(kContinue), use_tuple);
      if (error) co_return error;
    }
    std::array<char, kBodyChunk> chunk;
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      stream_.expires_after(kIoTimeout);
      const auto [error, size] = co_await http::async_read(stream_, buffer_, parser, use_tuple);
      if (error && error != http::error::need_buffer) co_return error;
      sink(std::string_view(chunk.data(), chunk.size() - parser.get().body().size));
    }
    co_return beast::error_code();
  }

  asio::awaitable<bool> control(Parser& parser, const std::string& target, bool keep_alive) {
    const unsigned version = parser.get().version();
    const http::verb method = parser.get().method();
    std::string body;
    bool too_big = false;
    const auto error = co_await read_body(parser, [&](std::string_view piece) {
      too_big |= body.size() + piece.size() > kMaxControlBody;
      if (!too_big) body += piece;
    });
    if (error) {
      co_await reject_if_malformed(error);
      co_return false;
    }
    if (too_big) {
      co_await send_text(http::status::payload_too_large, version, false, "spec too large\n");
      co_return false;
    }
    const auto url = boost::urls::parse_origin_form(target);
    if (!url)
      co_return co_await send_text(http::status::bad_request, version, keep_alive, "bad target\n");
    const std::string_view path = url->encoded_path();
    if (path == "/_control/log" && method == http::verb::get) {
      co_return co_await send(text_response(http::status::ok, version, keep_alive,
                                            origin_.log_json(), "application/json"));
    }
    if (path == "/_control/log" && method == http::verb::delete_) {
      origin_.log.clear();
      co_return co_await send_text(http::status::ok, version, keep_alive, "");
    }
    if (path == "/_control/objects" && method == http::verb::put) {
      const auto param = url->params().find("path");
      if (param == url->params().end() || !(*param).value.starts_with('/')) {
        co_return co_await send_text(http::status::bad_request, version, keep_alive,
                                     "path=/... is required\n");
      }
      const std::string problem = register_object((*param).value, body);
      co_return co_await send_text(problem.empty() ? http::status::ok : http::status::bad_request,
                                   version, keep_alive, problem);
    }
    co_return co_await send_text(http::status::not_found, version, keep_alive, "unknown control\n");
  }

  // Returns what is wrong with the spec, or "" once the object is registered.
  std::string register_object(const std::string& path, std::string_view spec) {
    try {
      origin_.objects[path] = Object{parse_object_spec(spec)};
      return {};
    } catch (const std::exception& error) {
      return std::string("bad spec: ") + error.what() + "\n";
    }
  }

  asio::awaitable<bool> echo(Parser& parser, bool keep_alive) {
    const auto& request = parser.get();
    json::object reply = describe(request);
    const unsigned version = request.version();
    Sha256 digest;
    std::uint64_t size = 0;
    const auto error = co_await read_body(parser, [&](std::string_view piece) {
      digest.update(piece.data(), piece.size());
      size += piece.size();
    });
    if (error) {
      co_await reject_if_malformed(error);
      co_return false;
    }
    reply["body_size"] = size;
    reply["body_sha256"] = digest.hex_final();
    auto response = text_response(http::status::ok, version, keep_alive, json::serialize(reply),
                                  "application/json");
    response.set(http::field::cache_control, "no-store");
    co_return co_await send(std::move(response));
  }

  template <typename Fields>
  asio::awaitable<bool> serve_object(const Fields& request, Object& object, bool keep_alive) {
    const bool head = request.method() == http::verb::head;
    const unsigned http_version = request.version();
    const Version version = object.current();
    const ObjectSpec spec = object.spec;  // the object may be registered again while we stream
    if (!head) ++object.gets;
    const std::string range_header(request[http::field::range]);
    const Precondition precondition =
        spec.status == 200 ? evaluate_preconditions(request, version) : Precondition::kProceed;
    co_await sleep_for(head ? spec.head_delay : spec.first_byte_delay);
    if (http_version == 11 && !co_await send_interim(spec.interim)) co_return false;
    const bool refused = !spec.required_query.empty() &&
                         request.target().find(spec.required_query) == std::string_view::npos;
    if (refused || (head && spec.head_status != 0)) {
      http::response<http::empty_body> refusal{
          static_cast<http::status>(refused ? 403 : spec.head_status), http_version};
      refusal.keep_alive(keep_alive);
      set_date(refusal);
      refusal.content_length(0);
      co_return co_await write_header(refusal) && keep_alive;
    }

    http::response<http::empty_body> response{static_cast<http::status>(spec.status), http_version};
    response.keep_alive(keep_alive);
    if (precondition == Precondition::kFailed) {
      set_date(response);
      response.result(http::status::precondition_failed);
      response.content_length(0);
      co_return co_await write_header(response) && keep_alive;
    }
    for (const auto& [name, value] : version.headers) response.insert(name, value);
    if (!head) {
      for (const auto& [name, value] : spec.get_headers) response.insert(name, value);
    }
    set_date(response);
    if (precondition == Precondition::kNotModified) {
      response.result(http::status::not_modified);
      co_return co_await write_header(response) && keep_alive;
    }
    if (spec.honor_range && response.find(http::field::accept_ranges) == response.end()) {
      response.set(http::field::accept_ranges, "bytes");
    }
    std::uint64_t first = 0;
    std::uint64_t length = version.size;
    if (!head && spec.status == 200 && spec.honor_range && !range_header.empty()) {
      const RangeRequest range = parse_range(range_header, version.size);
      if (range.kind == RangeRequest::kUnsatisfiable) {
        response.result(http::status::range_not_satisfiable);
        response.set(http::field::content_range, "bytes */" + std::to_string(version.size));
        response.content_length(0);
        co_return co_await write_header(response) && keep_alive;
      }
      if (range.kind == RangeRequest::kSingle) {
        response.result(http::status::partial_content);
        response.set(http::field::content_range, "bytes " + std::to_string(range.first) + "-" +
                                                     std::to_string(range.last) + "/" +
                                                     std::to_string(version.size));
        first = range.first;
        length = range.last - range.first + 1;
      }
    }
    if (head) {
      if (spec.head_content_length) response.content_length(version.size);
      co_return co_await write_header(response) && keep_alive;
    }
    if (spec.chunked) {
      response.chunked(true);
    } else {
      response.content_length(length);
    }
    if (!co_await write_header(response)) co_return false;
    co_return co_await send_body(spec, version.seed, first, length) && keep_alive;
  }

  // Sends pattern bytes [first, first + length), enacting the spec's throttle, stall and
  // close; returns false when the connection is finished.
  asio::awaitable<bool> send_body(const ObjectSpec& spec, std::uint64_t seed, std::uint64_t first,
                                  std::uint64_t length) {
    std::vector<std::uint8_t> chunk(kBodyChunk);
    // Throttled bodies go out in pieces of ~20 ms, so the rate is smooth at any scale.
    const std::uint64_t piece =
        spec.bytes_per_second > 0
            ? std::clamp<std::uint64_t>(spec.bytes_per_second / 50, 1, kBodyChunk)
            : kBodyChunk;
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t sent = 0;
    while (sent < length) {
      if (spec.close_after_bytes == sent) {
        // A clean FIN, not a reset: the client then reliably holds exactly `sent` bytes.
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.close();
        co_return false;
      }
      if (spec.stall_after_bytes == sent) {
        co_await wait_for_client_to_leave();
        co_return false;
      }
      std::uint64_t n = std::min(piece, length - sent);
      for (const auto& limit : {spec.close_after_bytes, spec.stall_after_bytes}) {
        if (limit && *limit > sent) n = std::min(n, *limit - sent);
      }
      if (spec.bytes_per_second > 0) {
        // Like a slow link: byte k leaves no earlier than k / bytes_per_second after the start.
        const auto due =
            start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                        std::chrono::duration<double>(static_cast<double>(sent + n) /
                                                      static_cast<double>(spec.bytes_per_second)));
        co_await sleep_for(due - std::chrono::steady_clock::now());
      }
      const std::span<std::uint8_t> bytes(chunk.data(), static_cast<std::size_t>(n));
      fill_pattern(seed, first + sent, bytes);
      stream_.expires_after(kIoTimeout);
      beast::error_code error;
      if (spec.chunked) {
        std::tie(error, std::ignore) = co_await asio::async_write(
            stream_, http::make_chunk(asio::buffer(bytes.data(), bytes.size())), use_tuple);
      } else {
        std::tie(error, std::ignore) = co_await asio::async_write(
            stream_, asio::buffer(bytes.data(), bytes.size()), use_tuple);
      }
      if (error) co_return false;
      sent += n;
    }
    if (spec.chunked) {
      stream_.expires_after(kIoTimeout);
      const auto [error, size] =
          co_await asio::async_write(stream_, http::make_chunk_last(), use_tuple);
      if (error) co_return false;
    }
    co_return true;
  }

  asio::awaitable<bool> send_interim(const std::vector<int>& statuses) {
    for (int status : statuses) {
      http::response<http::empty_body> interim{static_cast<http::status>(status), 11};
      if (status == 103) {
        interim.reason("Early Hints");
        interim.set(http::field::link, "</hint.css>; rel=preload; as=style");
      }
      if (!co_await write_header(interim)) co_return false;
      co_await sleep_for(30ms);
    }
    co_return true;
  }

  // A stalled response keeps the connection open, silent, until the client gives up.
  asio::awaitable<void> wait_for_client_to_leave() {
    std::array<char, 4096> discard;
    stream_.expires_after(kMaxStall);
    for (;;) {
      const auto [error, size] = co_await stream_.async_read_some(asio::buffer(discard), use_tuple);
      if (error) co_return;
    }
  }

  asio::awaitable<bool> write_header(http::response<http::empty_body>& response) {
    http::response_serializer<http::empty_body> serializer(response);
    stream_.expires_after(kIoTimeout);
    const auto [error, size] = co_await http::async_write_header(stream_, serializer, use_tuple);
    co_return !error;
  }

  asio::awaitable<bool> send(http::response<http::string_body> response) {
    response.prepare_payload();
    stream_.expires_after(kIoTimeout);
    const auto [error, size] = co_await http::async_write(stream_, response, use_tuple);
    co_return !error && response.keep_alive();
  }

  asio::awaitable<bool> send_text(http::status status, unsigned version, bool keep_alive,
                                  std::string body) {
    co_return co_await send(text_response(status, version, keep_alive, std::move(body)));
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  Origin& origin_;
};

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, Origin& origin) {
  for (;;) {
    auto [error, socket] = co_await acceptor.async_accept(use_tuple);
    if (error == asio::error::operation_aborted) co_return;
    if (error) {
      // Out of descriptors or similar: back off instead of spinning.
      co_await sleep_for(10ms);
      continue;
    }
    if (origin.connections >= kMaxConnections) continue;  // the socket closes here
    // Headers and body go out in separate writes; Nagle would hold the body for an ACK.
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto session = std::make_shared<Session>(std::move(socket), origin);
    // A session handles its own errors; the completion handler only keeps a bug in one
    // connection from ending the whole origin.
    asio::co_spawn(
        acceptor.get_executor(), [session]() { return session->run(); }, [](std::exception_ptr) {});
  }
}

int run(int argc, char** argv) {
  std::uint16_t port = 0;
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.size() != 2 || args[0] != "--port" ||
      std::from_chars(args[1].data(), args[1].data() + args[1].size(), port).ec != std::errc()) {
    std::cerr << "usage: fault_origin --port N\n";
    return 2;
  }
  // Declared first: coroutine frames destroyed with the io_context still refer to it.
  Origin origin;
  asio::io_context io(1);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), port));
  std::cout << "listening " << acceptor.local_endpoint().port() << std::endl;
  asio::co_spawn(io, accept_loop(acceptor, origin), asio::detached);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code&, int) { io.stop(); });
  io.run();
  return 0;
}

}  // namespace
}  // namespace casserole::test

int main(int argc, char** argv) {
  try {
    return casserole::test::run(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "fault_origin: " << error.what() << "\n";
    return 1;
  }
}
