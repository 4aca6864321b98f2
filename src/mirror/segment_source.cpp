#include "mirror/segment_source.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/beast/http/verb.hpp>

#include "http/etag.hpp"
#include "http/range.hpp"
#include "mirror/mirror_error.hpp"
#include "upstream/upstream_error.hpp"

namespace casserole::mirror {
namespace {

bool usable(const std::shared_ptr<cache::Segment>& segment) {
  return segment && segment->state() != cache::Segment::State::failed;
}

cache::Source source_of(const cache::Segment& segment) {
  return segment.state() == cache::Segment::State::complete ? cache::Source::memory
                                                            : cache::Source::upstream;
}

// Checks that a ranged answer is exactly the requested bytes of the version being served.
void check_answer(const upstream::UpstreamResponse& response, const upstream::ObjectMeta& meta,
                  std::uint64_t first, std::uint64_t last) {
  unsigned status = response.status();
  if (status == 412) throw ObjectChanged("the upstream object changed (412)");
  if (status == 200) throw RangesIgnored("the upstream answered a ranged GET with 200");
  if (status != 206) {
    throw upstream::UpstreamError(
        upstream::UpstreamError::Kind::protocol,
        "unexpected status " + std::to_string(status) + " to a ranged GET");
  }
  upstream::HeaderList headers = response.headers();
  auto range = http::parse_content_range(upstream::first_value(headers, "Content-Range"));
  if (!range || range->complete_length != meta.length()) {
    throw ObjectChanged("the upstream object's length changed");
  }
  if (range->first != first || range->last != last) {
    throw upstream::UpstreamError(upstream::UpstreamError::Kind::protocol,
                                  "the upstream sent another range than asked");
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
  return "seg " + target + " " + meta->version() + " " + std::to_string(options_.segment_size) +
         " " + std::to_string(index);
}

std::uint64_t SegmentSource::length_of(const MetaPtr& meta, std::uint64_t index) const {
  std::uint64_t first = index * options_.segment_size;
  return std::min(options_.segment_size, *meta->length() - first);
}

boost::asio::awaitable<SegmentSource::Acquired> SegmentSource::acquire(const std::string& target,
                                                                       const MetaPtr& meta,
                                                                       std::uint64_t index) {
  std::string k = key(target, meta, index);
  if (auto segment = store_.find<cache::Segment>(k); usable(segment)) {
    co_return Acquired{segment, source_of(*segment)};
  }
  co_return co_await flights_.run(k, [&]() -> boost::asio::awaitable<Acquired> {
    auto charge = co_await store_.charge(length_of(meta, index),
                                         std::chrono::steady_clock::now() + options_.memory_wait);
    if (!charge) throw MemoryExhausted("no memory for a segment within the allowed wait");
    // A prefetch may have started the segment while we waited for memory.
    if (auto segment = store_.peek<cache::Segment>(k); usable(segment)) {
      co_return Acquired{segment, source_of(*segment)};
    }
    co_return Acquired{start(target, meta, index, std::move(*charge)), cache::Source::upstream};
  });
}

void SegmentSource::prefetch(const std::string& target, const MetaPtr& meta, std::uint64_t index) {
  if (index * options_.segment_size >= *meta->length()) return;
  std::string k = key(target, meta, index);
  if (flights_.in_flight(k) || usable(store_.peek<cache::Segment>(k))) return;
  if (auto charge = store_.try_charge(length_of(meta, index))) {
    start(target, meta, index, std::move(*charge));
  }
}

bool SegmentSource::all_in_memory(const std::string& target, const MetaPtr& meta,
                                  std::uint64_t first, std::uint64_t last) const {
  for (std::uint64_t i = first; i <= last; ++i) {
    auto segment = store_.peek<cache::Segment>(key(target, meta, i));
    if (!segment || segment->state() != cache::Segment::State::complete) return false;
  }
  return true;
}

std::shared_ptr<cache::Segment> SegmentSource::start(const std::string& target, const MetaPtr& meta,
                                                     std::uint64_t index,
                                                     cache::MemoryBudget::Charge charge) {
  auto segment = std::make_shared<cache::Segment>(length_of(meta, index), std::move(charge));
  store_.insert(key(target, meta, index), segment);
  boost::asio::co_spawn(executor_, fill(target, meta, index, segment), boost::asio::detached);
  return segment;
}

boost::asio::awaitable<void> SegmentSource::fill(std::string target, MetaPtr meta,
                                                 std::uint64_t index,
                                                 std::shared_ptr<cache::Segment> segment) {
  try {
    co_await fetch_into(target, meta, index, *segment);
    co_return;
  } catch (const ObjectChanged&) {
    directory_.invalidate(target);
    segment->fail(std::current_exception());
  } catch (const RangesIgnored& error) {
    directory_.refuse(target, meta, error.what());
    segment->fail(std::current_exception());
  } catch (...) {
    segment->fail(std::current_exception());
  }
  // A failed segment must not be found again: the next reader fetches afresh.
  std::string k = key(target, meta, index);
  if (store_.peek<cache::Segment>(k) == segment) store_.erase(k);
}

boost::asio::awaitable<void> SegmentSource::fetch_into(const std::string& target,
                                                       const MetaPtr& meta, std::uint64_t index,
                                                       cache::Segment& segment) {
  std::uint64_t first = index * options_.segment_size;
  std::uint64_t last = first + segment.size() - 1;
  upstream::HeaderList headers = meta->fetch_conditions();
  headers.emplace_back("Range", "bytes=" + std::to_string(first) + "-" + std::to_string(last));
  auto response = co_await upstream_.fetch(boost::beast::http::verb::get, target, headers);
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
}

}  // namespace casserole::mirror
