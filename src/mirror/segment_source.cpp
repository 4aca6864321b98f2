#include "mirror/segment_source.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/beast/http/verb.hpp>

#include "http/etag.hpp"
#include "http/range.hpp"
#include "mirror/meta_record.hpp"
#include "mirror/mirror_error.hpp"
#include "upstream/upstream_error.hpp"

namespace casserole::mirror {
namespace {

bool usable(const std::shared_ptr<cache::Segment>& segment) {
  return segment && segment->state() != cache::Segment::State::failed;
}

// Checks that a ranged answer is exactly the requested bytes of the version being served.
void check_answer(const upstream::UpstreamResponse& response, const upstream::ObjectMeta& meta,
                  std::uint64_t first, std::uint64_t last) {
  unsigned status = response.status();
  if (status == 412) throw ObjectChanged("the upstream object changed (412)");
  // An upstream that ignored Range sent the whole object: that is the segment asked for only
  // when the segment is the whole object.
  const bool whole_object = first == 0 && last + 1 == meta.length();
  if (status == 200 && !whole_object) {
    throw NotCacheable("the upstream answered a ranged GET with 200");
  }
  if (status != 206 && status != 200) {
    throw upstream::UpstreamError(
        upstream::UpstreamError::Kind::protocol,
        "unexpected status " + std::to_string(status) + " to a ranged GET");
  }
  upstream::HeaderList headers = response.headers();
  // The answer actually stored decides, not only what the HEAD said.
  if (auto forbidden = upstream::storing_forbidden(headers); !forbidden.empty()) {
    throw NotCacheable("the upstream's answer to a segment says " + forbidden);
  }
  if (status == 200) {
    // Without a length nothing would tell a longer body from the object.
    if (!response.content_length()) throw NotCacheable("a 200 to a ranged GET without a length");
    if (response.content_length() != meta.length()) {
      throw ObjectChanged("the upstream object's length changed");
    }
  } else {
    auto range = http::parse_content_range(upstream::first_value(headers, "Content-Range"));
    if (!range || range->complete_length != meta.length()) {
      throw ObjectChanged("the upstream object's length changed");
    }
    if (range->first != first || range->last != last) {
      throw upstream::UpstreamError(upstream::UpstreamError::Kind::protocol,
                                    "the upstream sent another range than asked");
    }
  }
  auto etag = http::parse_entity_tag(upstream::first_value(headers, "ETag"));
  if (etag && meta.etag() && !meta.etag()->weak && !http::strong_compare(*etag, *meta.etag())) {
    throw ObjectChanged("the upstream object's ETag changed");
  }
  auto last_modified = upstream::first_value(headers, "Last-Modified");
  if (!last_modified.empty() && !meta.last_modified().empty() &&
      last_modified != meta.last_modified()) {
    throw ObjectChanged("the upstream object's Last-Modified changed");
  }
}

}  // namespace

std::string SegmentSource::key(const std::string& target, const MetaPtr& meta,
                               std::uint64_t index) const {
  // Built in place: a small response computes a few keys, and the temporaries of concatenation
  // showed in its profile. The numbers are short enough for std::string's inline buffer.
  const std::string size = std::to_string(options_.segment_size);
  const std::string number = std::to_string(index);
  const std::string& version = meta->version();
  std::string k;
  k.reserve(7 + target.size() + version.size() + size.size() + number.size());
  k.append("seg ");
  options_.cache_policy.append_key_of(target, k);
  k.append(" ").append(version).append(" ").append(size).append(" ").append(number);
  return k;
}

std::string SegmentSource::ring_key(const std::string& target, std::uint64_t index,
                                    const std::string& key) const {
  return index == 0 ? directory_.meta_key(target) : key;
}

void SegmentSource::adopt(const std::string& target, const MetaPtr& meta,
                          std::unique_ptr<upstream::UpstreamResponse> answer) {
  const std::string k = key(target, meta, 0);
  if (usable(store_.peek<cache::Segment>(k)) || flights_.in_flight(k)) return;
  auto charge = store_.try_charge(length_of(meta, 0));
  if (!charge) return;
  start(target, meta, 0, std::move(*charge), Fill::as_owner, {}, std::move(answer));
}

std::uint64_t SegmentSource::length_of(const MetaPtr& meta, std::uint64_t index) const {
  std::uint64_t first = index * options_.segment_size;
  return std::min(options_.segment_size, *meta->length() - first);
}

std::optional<std::string> SegmentSource::owner_of(const std::string& target, std::uint64_t index,
                                                   const std::string& key, Reach reach) const {
  if (!peers_ || reach != Reach::cluster) return std::nullopt;
  return peers_->peers().owner(ring_key(target, index, key));
}

std::optional<SegmentSource::Acquired> SegmentSource::in_memory(const std::string& key, Reach reach,
                                                                bool hit) {
  auto segment = hit ? store_.find<cache::Segment>(key) : store_.peek<cache::Segment>(key);
  if (!usable(segment)) return std::nullopt;
  if (reach != Reach::cluster && segment->state() == cache::Segment::State::filling &&
      asking_owner_.contains(key)) {
    return std::nullopt;
  }
  return Acquired{segment, nullptr, segment->source()};
}

std::optional<SegmentSource::Acquired> SegmentSource::held(const std::string& target,
                                                           const MetaPtr& meta,
                                                           std::uint64_t index) {
  return in_memory(key(target, meta, index), Reach::cluster, true);
}

boost::asio::awaitable<SegmentSource::Acquired> SegmentSource::acquire(const std::string& target,
                                                                       const MetaPtr& meta,
                                                                       std::uint64_t index,
                                                                       Reach reach, Trace* trace) {
  std::string k = key(target, meta, index);
  auto owner = owner_of(target, index, k, reach);
  // A flight that asks the owner must not be joined by a request answered for a peer.
  const std::string via_owner = owner ? k + " via " + *owner : std::string();
  const std::string& flight = owner ? via_owner : k;
  for (;;) {
    if (auto held = in_memory(k, reach, true)) {
      if (trace && held->segment->state() == cache::Segment::State::filling) {
        trace->collapsed = true;
      }
      co_return *held;
    }
    if (reach == Reach::stored) co_return co_await stored(k);
    if (trace && flights_.in_flight(flight)) trace->collapsed = true;
    Acquired acquired = co_await flights_.run(
        flight, [&] { return find_or_fetch(target, meta, index, k, owner, trace); });
    if (acquired.segment || acquired.file) co_return acquired;
    // We joined a read-ahead open that found the file damaged or gone. The disk tier has
    // forgotten the entry since, so the next round fetches it.
  }
}

boost::asio::awaitable<SegmentSource::Acquired> SegmentSource::stored(const std::string& key) {
  if (!disk_ || !disk_->may_hold(key)) co_return Acquired{};
  if (auto file = take_ready(key)) co_return Acquired{nullptr, file, cache::Source::disk};
  co_return co_await open_file(key);
}

boost::asio::awaitable<SegmentSource::Acquired> SegmentSource::find_or_fetch(
    const std::string& target, const MetaPtr& meta, std::uint64_t index, const std::string& k,
    const std::optional<std::string>& owner, Trace* trace) {
  if (disk_ && disk_->may_hold(k)) {
    if (auto file = take_ready(k)) co_return Acquired{nullptr, file, cache::Source::disk};
    if (auto segment = promote(target, meta, index)) {
      co_return Acquired{segment, nullptr, cache::Source::disk};
    }
    Acquired opened = co_await open_file(k);
    if (opened.file) co_return opened;
  }
  auto charge = co_await store_.charge(length_of(meta, index),
                                       std::chrono::steady_clock::now() + options_.memory_wait);
  if (!charge) throw MemoryExhausted("no memory for a segment within the allowed wait");
  // A prefetch may have started the segment while we waited for memory.
  Reach reach = owner ? Reach::cluster : Reach::owner;
  if (auto held = in_memory(k, reach, false)) co_return *held;
  const cache::Source source = owner ? cache::Source::peer : cache::Source::upstream;
  co_return Acquired{start_fetch(target, meta, index, std::move(*charge), owner, trace), nullptr,
                     source};
}

std::shared_ptr<cache::Segment> SegmentSource::start_fetch(const std::string& target,
                                                           const MetaPtr& meta, std::uint64_t index,
                                                           cache::MemoryBudget::Charge charge,
                                                           std::optional<std::string> owner,
                                                           Trace* trace) {
  if (owner) {
    if (trace) ++trace->peer_requests;
    return start(target, meta, index, std::move(charge), Fill::from_owner, std::move(*owner));
  }
  if (trace) ++trace->upstream_requests;
  return start(target, meta, index, std::move(charge), Fill::as_owner);
}

// Objects up to this share of memory count as small enough to evict others for (see promote).
constexpr std::uint64_t kSmallObjectShare = 8;

std::shared_ptr<cache::Segment> SegmentSource::promote(const std::string& target,
                                                       const MetaPtr& meta, std::uint64_t index) {
  if (disk_->earlier_reads(key(target, meta, index)).value_or(0) == 0) return nullptr;
  // A segment of a large object goes into unused memory only: evicting other segments for it
  // would make a scan of an object larger than memory copy every segment in and out again, where
  // sendfile serves it from the page cache (the hot 256 MiB benchmark ran at 0.6x nginx that
  // way). A small object is worth its room: from memory it goes out in one write with its header
  // (disk hits halved the small-object benchmark's requests per second).
  const std::uint64_t length = length_of(meta, index);
  auto charge = *meta->length() <= store_.limit() / kSmallObjectShare
                    ? store_.try_charge(length)
                    : store_.try_charge_unused(length);
  if (!charge) return nullptr;
  return start(target, meta, index, std::move(*charge), Fill::from_disk);
}

void SegmentSource::prefetch(const std::string& target, const MetaPtr& meta, std::uint64_t index,
                             Trace* trace) {
  if (index * options_.segment_size >= *meta->length()) return;
  std::string k = key(target, meta, index);
  if (flights_.in_flight(k) || usable(store_.peek<cache::Segment>(k))) return;
  // A segment on disk is sent from its file, unless it is hot enough to promote; opening it now
  // lets its check run while the reader is still busy with the segments before it.
  if (disk_ && disk_->may_hold(k)) {
    bool ready =
        std::any_of(ready_.begin(), ready_.end(), [&](const Ready& r) { return r.key == k; });
    if (!ready && !promote(target, meta, index)) {
      boost::asio::co_spawn(executor_, open_ahead(std::move(k)), boost::asio::detached);
    }
  } else if (auto charge = store_.try_charge(length_of(meta, index))) {
    start_fetch(target, meta, index, std::move(*charge), owner_of(target, index, k, Reach::cluster),
                trace);
  }
}

boost::asio::awaitable<SegmentSource::Acquired> SegmentSource::open_file(const std::string& key) {
  auto file = co_await disk_->open(key);
  co_return Acquired{nullptr, std::move(file), cache::Source::disk};
}

// How long a read-ahead opened file waits for its reader.
constexpr auto kReadyLifetime = std::chrono::seconds(2);
constexpr std::size_t kMaxReady = 64;

boost::asio::awaitable<void> SegmentSource::open_ahead(std::string key) {
  Acquired opened = co_await flights_.run(key, [&] { return open_file(key); });
  if (!opened.file) co_return;
  if (ready_.size() == kMaxReady) ready_.pop_front();
  ready_.push_back(Ready{std::move(key), std::move(opened.file), std::chrono::steady_clock::now()});
}

std::shared_ptr<const disk::OpenEntry> SegmentSource::take_ready(const std::string& key) {
  auto now = std::chrono::steady_clock::now();
  while (!ready_.empty() && now - ready_.front().opened > kReadyLifetime) ready_.pop_front();
  for (auto it = ready_.begin(); it != ready_.end(); ++it) {
    if (it->key == key) {
      auto file = std::move(it->file);
      ready_.erase(it);
      return file;
    }
  }
  return nullptr;
}

cache::Source SegmentSource::likely_source(const std::string& target, const MetaPtr& meta,
                                           std::uint64_t index) const {
  std::string k = key(target, meta, index);
  auto segment = store_.peek<cache::Segment>(k);
  if (segment && segment->state() == cache::Segment::State::complete) return cache::Source::memory;
  if (disk_ && disk_->may_hold(k)) return cache::Source::disk;
  return owner_of(target, index, k, Reach::cluster) ? cache::Source::peer : cache::Source::upstream;
}

std::shared_ptr<cache::Segment> SegmentSource::start(
    const std::string& target, const MetaPtr& meta, std::uint64_t index,
    cache::MemoryBudget::Charge charge, Fill how, std::string owner,
    std::unique_ptr<upstream::UpstreamResponse> answer) {
  cache::Source source = how == Fill::from_disk    ? cache::Source::disk
                         : how == Fill::from_owner ? cache::Source::peer
                                                   : cache::Source::upstream;
  auto segment =
      std::make_shared<cache::Segment>(length_of(meta, index), std::move(charge), source);
  store_.insert(key(target, meta, index), segment);
  auto filling = fill(target, meta, index, segment, how, std::move(owner), std::move(answer));
  if (how == Fill::from_disk) {
    boost::asio::co_spawn(executor_, std::move(filling), boost::asio::detached);
  } else {
    Fetch fetch{target, index, source, std::chrono::steady_clock::now(), segment};
    boost::asio::co_spawn(executor_, listed(std::move(fetch), std::move(filling)),
                          boost::asio::detached);
  }
  return segment;
}

boost::asio::awaitable<void> SegmentSource::listed(Fetch fetch,
                                                   boost::asio::awaitable<void> filling) {
  auto entry = fetches_.insert(fetches_.end(), std::move(fetch));
  co_await std::move(filling);
  fetches_.erase(entry);
}

boost::asio::awaitable<void> SegmentSource::fill(
    std::string target, MetaPtr meta, std::uint64_t index, std::shared_ptr<cache::Segment> segment,
    Fill how, std::string owner, std::unique_ptr<upstream::UpstreamResponse> answer) {
  std::string k = key(target, meta, index);
  try {
    // Readers see none of the bytes until all are read and verified; a damaged file falls back
    // to the upstream.
    if (how == Fill::from_disk && co_await disk_->read(k, segment->unfilled())) {
      segment->commit(segment->size());
      segment->complete();
      co_return;
    }
    if (how == Fill::from_owner) {
      asking_owner_.insert(k);
      try {
        co_await from_peer(owner, peering::Scope::fetch, target, meta, index, *segment);
      } catch (...) {
        asking_owner_.erase(k);
        throw;
      }
      asking_owner_.erase(k);
    } else if (auto previous = peers_ && !answer
                                   ? peers_->peers().previous_owner(ring_key(target, index, k))
                                   : std::nullopt) {
      co_await from_peer(*previous, peering::Scope::stored, target, meta, index, *segment);
    }
    // Whatever a peer could not send comes from the upstream, from where the peer stopped.
    if (segment->state() == cache::Segment::State::filling) {
      co_await fetch_into(target, meta, index, *segment, std::move(answer));
    }
    if (how == Fill::from_owner) {
      borrow(k, segment);
    } else if (disk_) {
      disk_->store(k, {segment->data(), segment->size()}, segment);
    }
    co_return;
  } catch (const ObjectChanged&) {
    directory_.invalidate(target);
    segment->fail(std::current_exception());
  } catch (const NotCacheable& error) {
    directory_.refuse(target, meta, error.what());
    segment->fail(std::current_exception());
  } catch (...) {
    segment->fail(std::current_exception());
  }
  // A failed segment must not be found again: the next reader fetches afresh.
  if (store_.peek<cache::Segment>(k) == segment) store_.erase(k);
}

boost::asio::awaitable<void> SegmentSource::from_peer(const std::string& peer, peering::Scope scope,
                                                      const std::string& target,
                                                      const MetaPtr& meta, std::uint64_t index,
                                                      cache::Segment& segment) {
  bool changed = false;
  std::string failure;
  try {
    const std::string record = encode_meta_record(*meta);
    auto response = co_await peers_->segment(peer, target, record, index, options_.segment_size,
                                             segment.size(), scope);
    if (!response) co_return;
    while (segment.filled() < segment.size()) {
      std::size_t n = co_await response->read_some(segment.unfilled());
      if (n == 0) throw std::runtime_error("the segment ended early");
      segment.commit(n);
    }
    segment.complete();
  } catch (const peering::VersionGone&) {
    changed = true;
  } catch (const peering::NotCacheable& error) {
    throw NotCacheable(error.what());
  } catch (const peering::UpstreamFailed&) {
    throw;
  } catch (const peering::PeerUnavailable&) {
    // Marked suspect already; the upstream sends the rest.
  } catch (const std::exception& error) {
    failure = error.what();
  }
  if (changed) throw ObjectChanged("the object changed upstream (its owner was told 412)");
  if (!failure.empty()) peers_->failed(peer, failure);
}

// The share of memory that segments owned by other nodes may keep: enough for the hot ones,
// not so much that this node's own segments, which it alone serves to the cluster, are crowded
// out.
constexpr std::uint64_t kBorrowedShareDivisor = 4;

void SegmentSource::borrow(const std::string& key, const std::shared_ptr<cache::Segment>& segment) {
  borrowed_.push_back(Borrowed{key, segment, segment->size()});
  borrowed_bytes_ += segment->size();
  while (borrowed_bytes_ > store_.limit() / kBorrowedShareDivisor) {
    Borrowed oldest = std::move(borrowed_.front());
    borrowed_.pop_front();
    borrowed_bytes_ -= oldest.bytes;
    auto held = oldest.segment.lock();
    if (held && store_.peek<cache::Segment>(oldest.key) == held) store_.erase(oldest.key);
  }
}

boost::asio::awaitable<void> SegmentSource::fetch_into(
    const std::string& target, const MetaPtr& meta, std::uint64_t index, cache::Segment& segment,
    std::unique_ptr<upstream::UpstreamResponse> answer) {
  // After a peer that broke off, only the bytes it did not send.
  std::uint64_t first = index * options_.segment_size + segment.filled();
  std::uint64_t last = index * options_.segment_size + segment.size() - 1;
  const auto asked = std::chrono::steady_clock::now();
  auto& stats = upstream_.pool().stats();
  std::unique_ptr<upstream::UpstreamResponse> response = std::move(answer);
  if (!response) {
    upstream::HeaderList headers = meta->fetch_conditions();
    headers.emplace_back("Range", "bytes=" + std::to_string(first) + "-" + std::to_string(last));
    response = co_await upstream_.fetch(boost::beast::http::verb::get, target, headers);
    stats.answered(upstream::UpstreamStats::Purpose::segment, response->status());
  }
  check_answer(*response, *meta, first, last);
  while (segment.filled() < segment.size()) {
    std::size_t n = co_await response->read_some(segment.unfilled());
    if (n == 0) {
      throw upstream::UpstreamError(upstream::UpstreamError::Kind::protocol,
                                    "the upstream's ranged body ended early");
    }
    segment.commit(n);
  }
  segment.complete();
  stats.segment_seconds.observe(std::chrono::steady_clock::now() - asked);
}

SegmentSource::Usage SegmentSource::usage(const std::string& target, const MetaPtr& meta) const {
  Usage usage;
  const std::uint64_t segments =
      (*meta->length() + options_.segment_size - 1) / options_.segment_size;
  for (std::uint64_t i = 0; i < segments; ++i) {
    const std::string k = key(target, meta, i);
    const auto segment = store_.peek<cache::Segment>(k);
    const std::uint64_t on_disk = disk_ ? disk_->entry_bytes(k) : 0;
    if (segment) usage.memory_bytes += segment->charged_bytes();
    usage.disk_bytes += on_disk;
    if (segment || on_disk > 0) ++usage.segments;
  }
  return usage;
}

}  // namespace casserole::mirror
