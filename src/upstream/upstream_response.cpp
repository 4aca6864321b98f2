#include "upstream/upstream_response.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include "upstream/upstream_error.hpp"

namespace casserole::upstream {
namespace {

constexpr std::uint32_t kHeaderLimit = 64 * 1024;
// Beast sizes each socket read by the buffer's spare capacity (512 bytes at least, 64 KiB at
// most); a small buffer would mean a system call and a reader wake-up per 512 bytes of body.
constexpr std::size_t kReadBuffer = 64 * 1024;
// Interim answers are a few hints at most; more is an upstream stalling us with them.
constexpr int kMaxInterim = 8;

[[noreturn]] void fail(const boost::beast::error_code& ec, const char* during) {
  if (ec == boost::beast::error::timeout) {
    throw UpstreamError(UpstreamError::Kind::timeout, std::string(during) + " timed out");
  }
  throw UpstreamError(UpstreamError::Kind::protocol, std::string(during) + ": " + ec.message());
}

}  // namespace

UpstreamResponse::UpstreamResponse(ConnectionPool& pool, std::unique_ptr<Connection> connection,
                                   bool head_request)
    : pool_(pool), connection_(std::move(connection)), head_request_(head_request) {
  buffer_.reserve(kReadBuffer);
  new_parser();
}

void UpstreamResponse::new_parser() {
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  parser_->body_limit(boost::none);
  parser_->skip(head_request_);
}

UpstreamResponse::~UpstreamResponse() {
  if (!connection_) return;
  // Only a final answer read to its end leaves the connection ready for another request.
  if (parser_->is_done() && status() >= 200 && parser_->keep_alive() && buffer_.size() == 0) {
    pool_.release(std::move(connection_));
  } else {
    connection_->close();
  }
}

boost::asio::awaitable<void> UpstreamResponse::read_header(const InterimSink& interim) {
  for (int interims = 0;; ++interims) {
    boost::beast::error_code ec;
    connection_->tcp().expires_after(pool_.options().io_timeout);
    co_await boost::beast::http::async_read_header(
        *connection_, buffer_, *parser_,
        boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (ec) fail(ec, "reading the upstream's response header");
    const unsigned code = status();
    if (code >= 200) co_return;
    if (code == 101) {
      throw UpstreamError(UpstreamError::Kind::protocol, "the upstream switched protocols unasked");
    }
    if (interims == kMaxInterim) {
      throw UpstreamError(UpstreamError::Kind::protocol, "too many interim answers upstream");
    }
    if (interim) co_await interim(code, headers());
    new_parser();
  }
}

HeaderList UpstreamResponse::headers() const {
  HeaderList out;
  for (const auto& field : parser_->get()) {
    out.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  return out;
}

boost::asio::awaitable<std::size_t> UpstreamResponse::read_some(std::span<std::byte> out) {
  auto& body = parser_->get().body();
  while (!parser_->is_done()) {
    body.data = out.data();
    body.size = out.size();
    boost::beast::error_code ec;
    connection_->tcp().expires_after(pool_.options().io_timeout);
    co_await boost::beast::http::async_read_some(
        *connection_, buffer_, *parser_,
        boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    // need_buffer only says our buffer is full, which is the point of handing it over.
    if (ec && ec != boost::beast::http::error::need_buffer) {
      try {
        fail(ec, "reading the upstream's body");
      } catch (const UpstreamError& error) {
        pool_.stats().failed(error);
        throw;
      }
    }
    std::size_t n = out.size() - body.size;
    pool_.stats().received_bytes += n;
    if (n > 0) co_return n;
  }
  co_return 0;
}

boost::asio::awaitable<std::size_t> UpstreamResponse::append_some(std::string& text) {
  // Read straight into the string: a buffer array in a coroutine frame makes GCC 12 under ASan
  // misreport the frame's deallocation (-Wmismatched-new-delete).
  constexpr std::size_t kPiece = 16 * 1024;
  const std::size_t filled = text.size();
  text.resize(filled + kPiece);
  std::size_t n = 0;
  try {
    n = co_await read_some(std::as_writable_bytes(std::span(text).subspan(filled)));
  } catch (...) {
    text.resize(filled);
    throw;
  }
  text.resize(filled + n);
  co_return n;
}

boost::asio::awaitable<std::optional<std::string>> UpstreamResponse::read_rest(std::size_t limit) {
  std::string text;
  while (co_await append_some(text) > 0) {
    if (text.size() > limit) co_return std::nullopt;
  }
  co_return text;
}

}  // namespace casserole::upstream
