#include "server/exchange.hpp"

#include <sys/sendfile.h>
#include <algorithm>
#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <system_error>
#include <utility>

#include "http/header_util.hpp"
#include "http/http_date.hpp"

namespace casserole::server {
namespace http = boost::beast::http;
namespace {

constexpr const char* kSourceField = "X-Casserole-Source";

using Field = std::pair<std::string_view, std::string_view>;

std::string error_body(unsigned status, std::string_view why) {
  std::string body = std::to_string(status);
  body.append(" ").append(http::obsolete_reason(static_cast<http::status>(status)));
  body.append(": ").append(why).append("\n");
  return body;
}

Exchange::Head error_head(unsigned status, std::string_view body,
                          const upstream::HeaderList& fields) {
  Exchange::Head head{status, fields};
  head.fields.emplace_back("Content-Type", "text/plain; charset=utf-8");
  head.fields.emplace_back("Content-Length", std::to_string(body.size()));
  head.fields.emplace_back("Cache-Control", "no-store");
  return head;
}

// The Date field for now. It changes once a second, and formatting it for every response was a
// measurable share of a small response's cost.
const std::string& date_now() {
  struct Cached {
    std::int64_t second = -1;
    std::string text;
  };
  thread_local Cached cached;
  const auto now = std::chrono::system_clock::now();
  const auto second = std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count();
  if (second != cached.second) {
    cached.text = casserole::http::format_http_date(now);
    cached.second = second;
  }
  return cached.text;
}

// Writes the header's bytes into `out`, whose capacity a connection reuses from one response to
// the next. Written out here rather than by Beast's serializer, which took a fifth of a small
// response's instructions (callgrind) iterating its buffer sequences piece by piece; copied into
// a buffer sized once, since growing a string piece by piece took another 6%.
void serialize(const Exchange::Head& head, std::initializer_list<Field> added, std::string& out) {
  std::string_view reason = head.reason;
  if (reason.empty()) reason = http::obsolete_reason(static_cast<http::status>(head.status));
  const std::string status = std::to_string(head.status);
  // An added field replaces one of the same name.
  const auto replaced = [&](std::string_view name) {
    return std::any_of(added.begin(), added.end(), [&](const Field& field) {
      return !field.second.empty() && casserole::http::iequals(field.first, name);
    });
  };
  std::size_t size = 9 + status.size() + 1 + reason.size() + 2 + 2;
  for (const auto& [name, value] : head.fields) size += name.size() + value.size() + 4;
  for (const auto& [name, value] : added) size += name.size() + value.size() + 4;
  out.resize(size);
  char* end = out.data();
  const auto put = [&](std::string_view piece) {
    std::memcpy(end, piece.data(), piece.size());
    end += piece.size();
  };
  const auto put_field = [&](std::string_view name, std::string_view value) {
    put(name);
    put(": ");
    put(value);
    put("\r\n");
  };
  put("HTTP/1.1 ");
  put(status);
  put(" ");
  put(reason);
  put("\r\n");
  for (const auto& [name, value] : head.fields) {
    if (!replaced(name)) put_field(name, value);
  }
  for (const auto& [name, value] : added) {
    if (!value.empty()) put_field(name, value);
  }
  put("\r\n");
  out.resize(static_cast<std::size_t>(end - out.data()));
}

}  // namespace

std::string_view Exchange::field(std::string_view name) const {
  auto it = request().find(name);
  return it == request().end() ? std::string_view{} : std::string_view(it->value());
}

std::size_t Exchange::write_now(auto buffers) {
  auto& socket = stream_.socket();
  if (!socket.non_blocking()) socket.non_blocking(true);
  boost::system::error_code error;
  const std::size_t sent = socket.write_some(buffers, error);
  if (error && error != boost::asio::error::would_block) throw boost::system::system_error(error);
  return sent;
}

boost::asio::awaitable<void> Exchange::write(auto buffers) {
  // One send first, without the timeout: most responses fit in the socket's buffer, and arming
  // and cancelling the timer and the reactor around every write was a sixth of a small
  // response's instructions (callgrind). Only what does not fit waits, with the timeout.
  const std::size_t sent = write_now(buffers);
  if (sent == boost::asio::buffer_size(buffers)) co_return;
  boost::beast::buffers_suffix<decltype(buffers)> rest(buffers);
  rest.consume(sent);
  stream_.expires_after(kWriteTimeout);
  co_await boost::asio::async_write(stream_, rest, boost::asio::use_awaitable);
  stream_.expires_never();
}

void Exchange::hold_header(const Head& head) {
  keep_alive_ = keep_alive_ && request().keep_alive();
  status_ = head.status;
  // A stored response keeps the upstream's Date (RFC 9110 §6.6.1: when it was generated).
  serialize(head,
            {{"Date", upstream::has_field(head.fields, "Date") ? std::string_view() : date_now()},
             {kSourceField, source_},
             {"Cache-Status", cache_status_.field_value()},
             {"Connection", keep_alive_ ? "keep-alive" : "close"}},
            held_header_);
  header_sent_ = true;
}

boost::asio::awaitable<void> Exchange::write_header(const Head& head) {
  hold_header(head);
  co_await finish();
}

boost::asio::awaitable<void> Exchange::finish() {
  if (!held_header_.empty()) co_await write_body(std::span<const std::byte>());
}

boost::asio::awaitable<void> Exchange::write_body(std::span<const std::byte> bytes) {
  // A held header goes out with the first body bytes, in one write.
  std::array<boost::asio::const_buffer, 2> buffers{boost::asio::buffer(held_header_),
                                                   boost::asio::buffer(bytes.data(), bytes.size())};
  co_await write(buffers);
  sent_header_and(bytes.size());
}

boost::asio::awaitable<void> Exchange::write_body(std::string_view text) {
  co_await write_body(std::as_bytes(std::span(text.data(), text.size())));
}

std::size_t Exchange::write_body_now(std::span<const std::byte> bytes) {
  std::array<boost::asio::const_buffer, 2> buffers{boost::asio::buffer(held_header_),
                                                   boost::asio::buffer(bytes.data(), bytes.size())};
  const std::size_t sent = write_now(buffers);
  const std::size_t header = std::min(sent, held_header_.size());
  if (header == held_header_.size()) {
    sent_header_and(sent - header);
  } else {
    held_header_.erase(0, header);
  }
  return sent - header;
}

boost::asio::awaitable<bool> Exchange::wait_for_client(
    std::chrono::steady_clock::time_point deadline) {
  auto& socket = stream_.socket();
  interrupted_ = false;
  // Waiting for the socket is not a stream operation, so the stream's timeout does not cover it.
  // The watchdog's handler may run after this frame is gone; `alive` tells it.
  auto alive = std::make_shared<bool>(true);
  boost::asio::steady_timer watchdog(socket.get_executor(), deadline);
  watchdog.async_wait(
      [&socket, alive = std::weak_ptr<bool>(alive)](const boost::system::error_code& ec) {
        if (!ec && alive.lock()) socket.cancel();
      });
  boost::system::error_code ec;
  co_await socket.async_wait(boost::asio::socket_base::wait_write,
                             boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  watchdog.cancel();
  if (!ec) co_return true;
  if (std::exchange(interrupted_, false)) co_return false;
  if (std::chrono::steady_clock::now() >= deadline) {
    throw boost::system::system_error(boost::beast::error::timeout);
  }
  throw boost::system::system_error(ec);
}

void Exchange::interrupt_wait() {
  interrupted_ = true;
  boost::system::error_code ignored;
  stream_.socket().cancel(ignored);
}

boost::asio::awaitable<void> Exchange::write_interim(const Head& head) {
  if (request().version() < 11) co_return;
  std::string interim;
  serialize(head, {}, interim);
  co_await write(boost::asio::buffer(interim));
}

boost::asio::awaitable<void> Exchange::send_file(int fd, std::uint64_t offset,
                                                 std::uint64_t length) {
  co_await finish();
  auto& socket = stream_.socket();
  socket.native_non_blocking(true);
  auto deadline = std::chrono::steady_clock::now() + kWriteTimeout;
  while (length > 0) {
    // Waiting before each send also lets other sessions run between the sends.
    co_await wait_for_client(deadline);
    auto position = static_cast<off_t>(offset);
    ssize_t sent = ::sendfile(socket.native_handle(), fd, &position, length);
    if (sent < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "sendfile");
    }
    if (sent == 0) throw std::runtime_error("sendfile: the file ended early");
    offset += static_cast<std::uint64_t>(sent);
    length -= static_cast<std::uint64_t>(sent);
    sent_header_and(static_cast<std::uint64_t>(sent));
    deadline = std::chrono::steady_clock::now() + kWriteTimeout;
  }
}

boost::asio::awaitable<void> Exchange::write_chunk(std::span<const std::byte> bytes) {
  co_await finish();
  co_await write(http::make_chunk(boost::asio::buffer(bytes.data(), bytes.size())));
  sent_header_and(bytes.size());
}

boost::asio::awaitable<void> Exchange::write_last_chunk() {
  co_await finish();
  co_await write(http::make_chunk_last());
}

boost::asio::awaitable<void> Exchange::send_error(unsigned status, std::string_view why,
                                                  const upstream::HeaderList& fields) {
  const std::string body = error_body(status, why);
  const Head error = error_head(status, body, fields);
  hold_header(error);
  sending_own();
  if (!head()) co_await write_body(body);
  co_await finish();
}

void Exchange::sent_header_and(std::uint64_t body_bytes) {
  if (!held_header_.empty()) {
    held_header_.clear();
    first_byte_ = std::chrono::steady_clock::now();
  }
  body_bytes_ += body_bytes;
  bytes_from_[static_cast<std::size_t>(sending_)] += body_bytes;
}

std::optional<std::chrono::steady_clock::duration> Exchange::time_to_first_byte() const {
  if (first_byte_ == std::chrono::steady_clock::time_point{}) return std::nullopt;
  return first_byte_ - started_;
}

void Exchange::sending_from(cache::Source source) {
  note_source(source);
  sending_ = static_cast<int>(source);
}

void Exchange::sending_own() {
  sending_ = kSources - 1;
}

void Exchange::note_source(cache::Source source) {
  std::string name = cache::to_string(source);
  if (source_.find(name) != std::string::npos) return;
  source_ += source_.empty() ? name : "+" + name;
}

}  // namespace casserole::server
