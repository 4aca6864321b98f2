#include "peering/peer_group.hpp"

#include <boost/beast/http/verb.hpp>
#include <iostream>

#include "http/base64.hpp"
#include "upstream/upstream_client.hpp"
#include "upstream/upstream_error.hpp"
#include "upstream/upstream_response.hpp"

namespace casserole::peering {
namespace {

// Long enough that a peer restarting or briefly overloaded is not asked again at once; short
// enough that a healthy peer wrongly suspected soon takes its keys back.
constexpr auto kSuspectTime = std::chrono::seconds(10);
// Metadata records are a status and some header fields.
constexpr std::size_t kMaxRecord = 256 * 1024;

// Out of the coroutines: GCC 12 misreads string concatenation in a coroutine frame
// (-Warray-bounds).
std::string about(const std::string& peer, std::string_view what) {
  std::string text = "peer ";
  text += peer;
  text += ": ";
  text += what;
  return text;
}

std::string status_text(unsigned status) {
  return "status " + std::to_string(status);
}

}  // namespace

upstream::HeaderList PeerGroup::headers_for(std::string_view meta_record) const {
  upstream::HeaderList headers;
  if (!secret_.empty()) headers.emplace_back(kSecretField, secret_);
  if (!meta_record.empty()) {
    headers.emplace_back(kMetaField, http::encode_base64(meta_record));
  }
  return headers;
}

PeerGroup::PeerGroup(boost::asio::any_io_executor executor, cluster::Peers& peers,
                     upstream::UpstreamOptions options, std::string secret)
    : executor_(std::move(executor)),
      peers_(peers),
      options_(std::move(options)),
      secret_(std::move(secret)) {}

PeerGroup::~PeerGroup() = default;

upstream::ConnectionPool& PeerGroup::pool(const std::string& peer) {
  auto& pool = pools_[peer];
  if (!pool) {
    pool = std::make_unique<upstream::ConnectionPool>(executor_, upstream::UpstreamUrl::parse(peer),
                                                      options_);
  }
  return *pool;
}

const char* PeerGroup::to_string(Outcome outcome) {
  static constexpr const char* kNames[] = {"ok", "none", "changed", "upstream_failed", "failed"};
  return kNames[static_cast<int>(outcome)];
}

void PeerGroup::failed(const std::string& peer, std::string_view why) {
  ++outcomes_[peer][static_cast<int>(Outcome::failed)];
  if (!peers_.suspected(peer)) {
    std::cerr << "casserole: peer " << peer << " failed (" << why
              << "); it owns nothing for the next " << kSuspectTime.count()
              << " s and its keys are fetched elsewhere\n";
  }
  peers_.suspect(peer, kSuspectTime);
}

boost::asio::awaitable<std::unique_ptr<upstream::UpstreamResponse>> PeerGroup::ask(
    const std::string& peer, const PeerRequest& request, std::string_view meta_record) {
  upstream::HeaderList headers = headers_for(meta_record);
  std::unique_ptr<upstream::UpstreamResponse> response;
  std::string failure;
  try {
    upstream::UpstreamClient client(pool(peer));
    response =
        co_await client.fetch(boost::beast::http::verb::get, request_target(request), headers);
  } catch (const std::exception& error) {
    failure = error.what();
  }
  auto& outcomes = outcomes_[peer];
  if (response && response->status() == 404 && request.scope == Scope::stored) {
    ++outcomes[static_cast<int>(Outcome::none)];
    co_return nullptr;
  }
  if (response && response->status() == 412) {
    ++outcomes[static_cast<int>(Outcome::changed)];
    if (auto why = response->message()[kNotCacheableField]; !why.empty()) {
      throw NotCacheable(std::string(why));
    }
    throw VersionGone(about(peer, "412"));
  }
  if (response && response->message().count(kUpstreamFailedField) > 0) {
    ++outcomes[static_cast<int>(Outcome::upstream_failed)];
    bool timeout = response->message()[kUpstreamFailedField] == "timeout";
    throw UpstreamFailed(timeout ? upstream::UpstreamError::Kind::timeout
                                 : upstream::UpstreamError::Kind::unreachable,
                         about(peer, "its upstream request failed"));
  }
  if (response && response->status() == 409) {
    failure =
        "it cuts objects into segments of another size; every node needs the same "
        "--segment-size";
  } else if (response && response->status() != 200) {
    failure = status_text(response->status());
  }
  if (!failure.empty()) {
    failed(peer, failure);
    throw PeerUnavailable(about(peer, failure));
  }
  ++outcomes[static_cast<int>(Outcome::ok)];
  co_return response;
}

boost::asio::awaitable<std::optional<std::string>> PeerGroup::meta(const std::string& peer,
                                                                   const std::string& target,
                                                                   Scope scope) {
  // Named, not braced inside the co_await: GCC 12 miscompiles braced temporaries there.
  const PeerRequest request{PeerRequest::Kind::meta, target, 0, scope};
  auto response = co_await ask(peer, request, std::string_view());
  if (!response) co_return std::nullopt;
  std::optional<std::string> record;
  std::string failure;
  try {
    record = co_await response->read_rest(kMaxRecord);
    if (!record) failure = "metadata record too large";
  } catch (const std::exception& error) {
    failure = error.what();
  }
  if (!failure.empty()) {
    failed(peer, failure);
    throw PeerUnavailable(about(peer, failure));
  }
  co_return record;
}

boost::asio::awaitable<std::unique_ptr<upstream::UpstreamResponse>> PeerGroup::segment(
    const std::string& peer, const std::string& target, std::string_view meta_record,
    std::uint64_t index, std::uint64_t segment_size, std::uint64_t length, Scope scope) {
  const PeerRequest request{PeerRequest::Kind::segment, target, index, scope, segment_size};
  auto response = co_await ask(peer, request, meta_record);
  if (response && response->content_length() != length) {
    failed(peer, "a segment of the wrong length");
    throw PeerUnavailable(about(peer, "a segment of the wrong length"));
  }
  co_return response;
}

}  // namespace casserole::peering
