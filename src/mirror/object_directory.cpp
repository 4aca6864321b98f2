#include "mirror/object_directory.hpp"

#include <boost/beast/http/verb.hpp>

#include "http/header_util.hpp"
#include "http/range.hpp"
#include "mirror/meta_record.hpp"
#include "upstream/upstream_error.hpp"

namespace casserole::mirror {
namespace {

using Clock = std::chrono::system_clock;

// How long a "not cacheable" answer is trusted. Long enough that a burst of requests for an
// uncacheable object goes straight through instead of each asking with HEAD first; short
// enough that an object which becomes cacheable (a 404 that appears, an outage's 503) is
// cached soon after.
constexpr auto kRefusalLifetime = std::chrono::seconds(10);

struct MetaEntry : cache::Cached {
  MetaEntry(cache::MemoryBudget::Charge charge, MetaPtr m, Clock::time_point refused_until)
      : Cached(std::move(charge)), meta(std::move(m)), refused_until(refused_until) {}
  // Cacheable metadata is good while fresh; a refusal until refused_until.
  bool valid(Clock::time_point now) const {
    return meta->cacheable() ? meta->fresh(now) : now < refused_until;
  }
  MetaPtr meta;
  Clock::time_point refused_until;
};

}  // namespace

MetaPtr ObjectDirectory::held(const std::string& target) {
  auto entry = store_.find<MetaEntry>(meta_key(target));
  return entry && entry->valid(Clock::now()) ? entry->meta : nullptr;
}

boost::asio::awaitable<MetaPtr> ObjectDirectory::lookup(const std::string& target, Reach reach,
                                                        Trace* trace) {
  if (MetaPtr meta = held(target)) co_return meta;
  if (reach == Reach::stored) {
    MetaPtr stored = co_await from_disk(target);
    co_return stored && stored->fresh(Clock::now()) ? stored : nullptr;
  }
  // A lookup that asks the owner must not be joined by one answering for a peer: two nodes
  // that each think the other owns the object would wait on each other.
  std::string flight = meta_key(target);
  if (reach == Reach::cluster && peers_) {
    if (auto owner = peers_->peers().owner(flight)) flight += " via " + *owner;
  }
  if (trace && heads_.in_flight(flight)) trace->collapsed = true;
  co_return co_await heads_.run(
      flight, [this, &target, reach, trace] { return find_or_ask(target, reach, trace); });
}

boost::asio::awaitable<MetaPtr> ObjectDirectory::revalidate(const std::string& target,
                                                            Trace* trace) {
  const std::string flight = meta_key(target) + " validated";
  if (trace && heads_.in_flight(flight)) trace->collapsed = true;
  co_return co_await heads_.run(flight,
                                [this, &target, trace]() -> boost::asio::awaitable<MetaPtr> {
                                  MetaPtr held;
                                  if (auto entry = store_.peek<MetaEntry>(meta_key(target))) {
                                    held = entry->meta;
                                  } else {
                                    held = co_await from_disk(target);
                                  }
                                  co_return co_await ask_upstream(target, std::move(held), trace);
                                });
}

boost::asio::awaitable<MetaPtr> ObjectDirectory::find_or_ask(const std::string& target, Reach reach,
                                                             Trace* trace) {
  MetaPtr stale;
  if (auto entry = store_.peek<MetaEntry>(meta_key(target))) {
    stale = entry->meta;
  } else {
    stale = co_await from_disk(target);
    if (stale && stale->fresh(Clock::now())) {
      remember(target, stale, {}, Keep::in_memory);
      co_return stale;
    }
  }
  if (peers_) {
    const auto& peers = peers_->peers();
    if (auto owner = reach == Reach::cluster ? peers.owner(meta_key(target)) : std::nullopt) {
      // The owner keeps the metadata on disk and revalidates it; this node only borrows it.
      if (auto meta = co_await from_peer(*owner, target, peering::Scope::fetch)) {
        if (trace) trace->metadata = Trace::Metadata::from_peer;
        remember(target, meta, Clock::now() + kRefusalLifetime, Keep::in_memory);
        co_return meta;
      }
    } else if (auto previous = stale ? std::nullopt : peers.previous_owner(meta_key(target))) {
      auto meta = co_await from_peer(*previous, target, peering::Scope::stored);
      if (meta && meta->cacheable() && meta->fresh(Clock::now())) {
        if (trace) trace->metadata = Trace::Metadata::from_peer;
        remember(target, meta, {}, Keep::also_on_disk);
        co_return meta;
      }
    }
  }
  co_return co_await ask_upstream(target, std::move(stale), trace);
}

std::vector<std::pair<std::string, MetaPtr>> ObjectDirectory::held_objects() const {
  constexpr std::string_view kPrefix = "meta ";
  std::vector<std::pair<std::string, MetaPtr>> objects;
  store_.for_each([&](const std::string& key, const cache::Cached& value) {
    if (!key.starts_with(kPrefix)) return;
    const auto* entry = dynamic_cast<const MetaEntry*>(&value);
    if (entry && entry->meta->cacheable() && entry->meta->length()) {
      objects.emplace_back(key.substr(kPrefix.size()), entry->meta);
    }
  });
  return objects;
}

std::string ObjectDirectory::meta_key(const std::string& target) const {
  std::string key = "meta ";
  policy_.append_key_of(target, key);
  return key;
}

boost::asio::awaitable<MetaPtr> ObjectDirectory::from_disk(const std::string& target) {
  if (!disk_ || !disk_->may_hold(meta_key(target))) co_return nullptr;
  std::optional<std::string> record = co_await disk_->load(meta_key(target));
  if (!record) co_return nullptr;
  auto meta = decode_meta_record(*record, policy_.rules_for(target));
  if (!meta || !meta->cacheable()) co_return nullptr;
  co_return std::make_shared<const upstream::ObjectMeta>(std::move(*meta));
}

boost::asio::awaitable<MetaPtr> ObjectDirectory::from_peer(const std::string& peer,
                                                           const std::string& target,
                                                           peering::Scope scope) {
  std::optional<std::string> record;
  try {
    record = co_await peers_->meta(peer, target, scope);
  } catch (const peering::PeerUnavailable&) {
    // The peer is suspect now; the upstream answers instead.
  }
  if (!record) co_return nullptr;
  auto meta = decode_meta_record(*record, policy_.rules_for(target));
  if (!meta) {
    peers_->failed(peer, "an unreadable metadata record");
    co_return nullptr;
  }
  co_return std::make_shared<const upstream::ObjectMeta>(std::move(*meta));
}

boost::asio::awaitable<std::unique_ptr<upstream::UpstreamResponse>> ObjectDirectory::ask_or_keep(
    boost::beast::http::verb method, const std::string& target, const upstream::HeaderList& fields,
    const MetaPtr& stale, Trace* trace) {
  const bool validating = stale && stale->cacheable();
  if (trace) {
    ++trace->upstream_requests;
    trace->metadata = validating ? Trace::Metadata::revalidated : Trace::Metadata::fetched;
  }
  try {
    auto response = co_await upstream_.fetch(method, target, fields);
    upstream_.pool().stats().answered(method == boost::beast::http::verb::head
                                          ? upstream::UpstreamStats::Purpose::head
                                          : upstream::UpstreamStats::Purpose::segment,
                                      response->status());
    if (trace) trace->upstream_status = response->status();
    co_return response;
  } catch (const upstream::UpstreamError&) {
    // RFC 9111 §4.2.4: a cache that cannot reach the origin may serve what it has, unless the
    // object forbids it. The upstream is a single point of failure only for what we lack.
    if (!stale || !stale->cacheable() || !stale->may_serve_stale()) throw;
  }
  co_return nullptr;
}

boost::asio::awaitable<MetaPtr> ObjectDirectory::ask_upstream(const std::string& target,
                                                              MetaPtr stale, Trace* trace) {
  upstream::HeaderList conditions;
  if (stale && stale->cacheable()) conditions = stale->revalidation_conditions();
  auto request_time = Clock::now();
  if (from_ == MetadataFrom::head) {
    auto response =
        co_await ask_or_keep(boost::beast::http::verb::head, target, conditions, stale, trace);
    if (!response) co_return stale;
    if (!head_falls_short(*response)) {
      co_return learn(target, stale, !conditions.empty(), response->status(), response->headers(),
                      request_time);
    }
    request_time = Clock::now();
  }
  co_return co_await probe(target, std::move(stale), std::move(conditions), request_time, trace);
}

MetaPtr ObjectDirectory::learn(const std::string& target, const MetaPtr& stale, bool validating,
                               unsigned status, upstream::HeaderList fields,
                               Clock::time_point request_time, std::string_view refusal) {
  const auto response_time = Clock::now();
  const upstream::StoreRules rules = policy_.rules_for(target);
  MetaPtr meta;
  if (status == 304 && validating) {
    meta = std::make_shared<upstream::ObjectMeta>(
        stale->revalidated(fields, request_time, response_time, rules));
  } else {
    auto answer = upstream::ObjectMeta::from_head(status, std::move(fields), request_time,
                                                  response_time, rules);
    if (!refusal.empty() && answer.cacheable()) answer = answer.refused(std::string(refusal));
    meta = std::make_shared<upstream::ObjectMeta>(std::move(answer));
  }
  remember(target, meta, response_time + kRefusalLifetime, Keep::also_on_disk);
  return meta;
}

bool ObjectDirectory::head_falls_short(const upstream::UpstreamResponse& response) {
  // Object stores refuse HEAD on a URL signed for GET (the signature covers the method); a
  // dynamic or chunked origin answers HEAD without the length.
  const unsigned status = response.status();
  return status == 403 || status == 405 || status == 501 ||
         (status == 200 && !upstream::has_field(response.headers(), "Content-Length"));
}

boost::asio::awaitable<MetaPtr> ObjectDirectory::probe(const std::string& target, MetaPtr stale,
                                                       upstream::HeaderList conditions,
                                                       Clock::time_point request_time,
                                                       Trace* trace) {
  const bool validating = !conditions.empty();
  conditions.emplace_back("Range", "bytes=0-" + std::to_string(policy_.segment_size - 1));
  auto response =
      co_await ask_or_keep(boost::beast::http::verb::get, target, conditions, stale, trace);
  if (!response) co_return stale;
  const unsigned status = response->status();
  // A larger object whose upstream ignores Range cannot be fetched in segments.
  const bool ranges_ignored = status == 200 && response->content_length() > policy_.segment_size;
  auto [as_status, fields] = whole_object_answer(*response);
  MetaPtr meta = learn(target, stale, validating, as_status, std::move(fields), request_time,
                       ranges_ignored ? "the upstream ignores Range" : "");
  if (meta->cacheable() && (status == 200 || status == 206) && first_segment_) {
    first_segment_(target, meta, std::move(response));
  }
  co_return meta;
}

std::pair<unsigned, upstream::HeaderList> ObjectDirectory::whole_object_answer(
    const upstream::UpstreamResponse& response) {
  upstream::HeaderList fields = response.headers();
  if (response.status() != 206) return {response.status(), std::move(fields)};
  // The first segment's 206 describes the whole object as a 200 would, but for its length.
  const auto range = http::parse_content_range(upstream::first_value(fields, "Content-Range"));
  if (!range || !range->complete_length) return {206, std::move(fields)};
  std::erase_if(fields, [](const auto& field) {
    return http::iequals(field.first, "Content-Range") ||
           http::iequals(field.first, "Content-Length");
  });
  fields.emplace_back("Content-Length", std::to_string(*range->complete_length));
  return {200, std::move(fields)};
}

void ObjectDirectory::remember(const std::string& target, MetaPtr meta,
                               Clock::time_point refused_until, Keep keep) {
  if (disk_ && keep == Keep::also_on_disk) {
    if (meta->cacheable()) {
      disk_->store(meta_key(target), encode_meta_record(*meta));
    } else {
      disk_->remove(meta_key(target));
    }
  }
  // The old entry goes first so its memory counts toward the new one's. Metadata is small;
  // when memory is all in use it is simply not kept this time.
  store_.erase(meta_key(target));
  if (auto charge = store_.try_charge(meta->footprint())) {
    store_.insert(meta_key(target),
                  std::make_shared<MetaEntry>(std::move(*charge), std::move(meta), refused_until));
  }
}

void ObjectDirectory::invalidate(const std::string& target) {
  store_.erase(meta_key(target));
  if (disk_) disk_->remove(meta_key(target));
}

void ObjectDirectory::refuse(const std::string& target, const MetaPtr& meta, std::string reason) {
  auto now = Clock::now();
  remember(target, std::make_shared<upstream::ObjectMeta>(meta->refused(std::move(reason))),
           now + meta->remaining_freshness(now), Keep::also_on_disk);
}

}  // namespace casserole::mirror
