#include "server/mirror_handler.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>
#include <utility>

#include "http/cache_control.hpp"
#include "mirror/mirror_error.hpp"
#include "server/segment_body.hpp"

namespace casserole::server {
namespace {

std::string random_boundary() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string boundary = "casserole-";
  for (int i = 0; i < 20; ++i) boundary += kHex[random() % 16];
  return boundary;
}

RequestFacts facts_of(const Exchange& exchange) {
  return RequestFacts{
      .head = exchange.head(),
      .range = exchange.field("Range"),
      .if_range = exchange.field("If-Range"),
      .if_match = exchange.field("If-Match"),
      .if_none_match = exchange.field("If-None-Match"),
      .if_modified_since = exchange.field("If-Modified-Since"),
      .if_unmodified_since = exchange.field("If-Unmodified-Since"),
  };
}

// Our copy was fetched without any of the fields the object varies on; a request that sends one
// of them may want another variant.
bool wants_another_variant(const Exchange& exchange, const upstream::ObjectMeta& meta) {
  const auto& fields = meta.vary_fields();
  return std::any_of(fields.begin(), fields.end(),
                     [&](const std::string& name) { return !exchange.field(name).empty(); });
}

using casserole::http::CacheStatus;

// How the cache handled a response it serves from segments, as far as is known when its header
// goes out: what finding the metadata and the first segment took (`trace`), and whether the
// planned segments were held here (`held` of `planned`) before any was fetched.
CacheStatus served_status(const mirror::Trace& trace, bool validation_asked, std::uint64_t held,
                          std::uint64_t planned) {
  CacheStatus status;
  switch (trace.metadata) {
    case mirror::Trace::Metadata::revalidated:
      status.fwd = validation_asked ? CacheStatus::Forward::request : CacheStatus::Forward::stale;
      break;
    case mirror::Trace::Metadata::fetched:
      status.fwd = CacheStatus::Forward::uri_miss;
      break;
    default:
      if (held < planned) {
        status.fwd = held > 0 ? CacheStatus::Forward::partial : CacheStatus::Forward::miss;
      }
  }
  status.fwd_status = trace.upstream_status;
  status.hit = status.fwd == CacheStatus::Forward::none;
  status.stored = !status.hit && held < planned;
  status.collapsed = trace.collapsed && !status.hit;
  return status;
}

// A cacheable request the cache could not answer from what it stores.
CacheStatus passed_status(const mirror::Trace& trace, const mirror::MetaPtr& meta) {
  CacheStatus status;
  status.fwd_status = trace.upstream_status;
  if (meta && meta->cacheable()) {
    status.fwd = CacheStatus::Forward::vary_miss;
  } else {
    status.fwd = trace.metadata == mirror::Trace::Metadata::held ? CacheStatus::Forward::miss
                                                                 : CacheStatus::Forward::uri_miss;
    status.detail = "uncacheable";
  }
  return status;
}

}  // namespace

boost::asio::awaitable<void> MirrorHandler::serve(Exchange& exchange) {
  // Caught here rather than in a wrapping coroutine: a second frame per request was a
  // noticeable share of a small hit's instructions.
  try {
    const std::string target(exchange.target());
    const auto directives = casserole::http::parse_request_cache_control(
        exchange.field("Cache-Control"), exchange.field("Pragma"));
    for (int attempt = 0;; ++attempt) {
      mirror::MetaPtr meta;
      mirror::Trace& trace = exchange.trace();
      if (directives.only_if_cached) {
        meta = co_await directory_.lookup(target, mirror::Reach::stored);
      } else if (directives.wants_validation() && attempt == 0) {
        meta = co_await directory_.revalidate(target, &trace);
      } else {
        meta = directory_.held(target);
        if (!meta) meta = co_await directory_.lookup(target, mirror::Reach::cluster, &trace);
      }
      const bool usable = meta && meta->cacheable() && !wants_another_variant(exchange, *meta);
      if (!usable && directives.only_if_cached) co_return co_await not_stored(exchange);
      if (!usable) {
        exchange.cache_status() = passed_status(trace, meta);
        co_return co_await passthrough_.relay(exchange);
      }
      const bool validation_asked = directives.wants_validation();
      const RequestFacts facts = facts_of(exchange);
      // Only a request for several ranges can be answered in parts; drawing a boundary for every
      // request showed in the profile of small responses.
      const std::string boundary =
          facts.range.find(',') != std::string_view::npos ? random_boundary() : std::string();
      ResponsePlan plan = plan_response(*meta, facts, std::chrono::system_clock::now(), boundary);
      if (directives.only_if_cached && !stored(target, meta, plan)) {
        co_return co_await not_stored(exchange);
      }
      bool stream_through = false;
      try {
        co_await respond(exchange, meta, plan, validation_asked);
        co_return;
      } catch (const mirror::ObjectChanged&) {
        // The metadata was dropped when the change was seen; one more try serves the new version.
        if (exchange.header_sent() || attempt > 0) throw;
      } catch (const mirror::NotCacheable&) {
        if (exchange.header_sent()) throw;
        stream_through = true;
      }
      if (stream_through) {
        exchange.cache_status() = passed_status(trace, nullptr);
        co_return co_await passthrough_.relay(exchange);
      }
    }
  } catch (...) {
    note_failure(exchange);
    throw;
  }
}

void MirrorHandler::note_failure(Exchange& exchange) {
  // A failure answered before the header went out still says whether the cache went forward.
  auto& status = exchange.cache_status();
  if (!exchange.header_sent() && status.fwd == casserole::http::CacheStatus::Forward::none &&
      !status.hit && exchange.trace().upstream_requests > 0) {
    status.fwd = casserole::http::CacheStatus::Forward::uri_miss;
    status.fwd_status = exchange.trace().upstream_status;
  }
}

bool MirrorHandler::stored(const std::string& target, const mirror::MetaPtr& meta,
                           const ResponsePlan& plan) const {
  const std::uint64_t size = options_.segment_size;
  for (const auto& part : plan.parts) {
    for (std::uint64_t i = part.first / size; i <= part.last / size; ++i) {
      const cache::Source source = segments_.likely_source(target, meta, i);
      if (source != cache::Source::memory && source != cache::Source::disk) return false;
    }
  }
  return true;
}

boost::asio::awaitable<void> MirrorHandler::not_stored(Exchange& exchange) {
  // RFC 9111 §5.2.1.7: only-if-cached and nothing stored is a 504.
  exchange.cache_status().fwd = casserole::http::CacheStatus::Forward::miss;
  exchange.cache_status().detail = "only-if-cached";
  co_await exchange.send_error(504, "the object is not stored here (only-if-cached)");
}

boost::asio::awaitable<void> MirrorHandler::respond(Exchange& exchange, const mirror::MetaPtr& meta,
                                                    ResponsePlan& plan, bool validation_asked) {
  const std::uint64_t size = options_.segment_size;
  const std::string target(exchange.target());
  std::uint64_t last_wanted_segment = 0;
  std::uint64_t planned = 0;
  std::uint64_t held = 0;
  for (const auto& part : plan.parts) {
    last_wanted_segment = std::max(last_wanted_segment, part.last / size);
    for (std::uint64_t i = part.first / size; i <= part.last / size; ++i) {
      const cache::Source source = segments_.likely_source(target, meta, i);
      exchange.note_source(source);
      ++planned;
      if (source == cache::Source::memory || source == cache::Source::disk) ++held;
    }
  }

  // Held and handed to stream_range, so it cannot be evicted while the header goes out.
  std::optional<mirror::SegmentSource::Acquired> first_segment;
  if (!plan.parts.empty()) {
    const std::uint64_t index = plan.parts.front().first / size;
    const std::uint64_t offset = plan.parts.front().first % size;
    first_segment = segments_.held(target, meta, index);
    if (first_segment && first_segment->segment->state() == cache::Segment::State::filling) {
      exchange.trace().collapsed = true;
    }
    if (!first_segment) {
      first_segment = co_await segments_.acquire(target, meta, index, mirror::Reach::cluster,
                                                 &exchange.trace());
    }
    if (!has_byte(*first_segment, offset)) co_await await_byte(*first_segment, offset);
  }
  if (plan.parts.empty()) exchange.note_source(cache::Source::memory);
  exchange.cache_status() = served_status(exchange.trace(), validation_asked, held, planned);
  const Exchange::Head head{plan.status, std::move(plan.headers)};
  exchange.hold_header(head);

  for (const auto& part : plan.parts) {
    if (!part.prefix.empty()) {
      exchange.sending_own();
      co_await exchange.write_body(part.prefix);
    }
    co_await stream_range(exchange, meta, part.first, part.last, last_wanted_segment,
                          std::exchange(first_segment, std::nullopt));
  }
  if (!plan.epilogue.empty()) {
    exchange.sending_own();
    co_await exchange.write_body(plan.epilogue);
  }
}

boost::asio::awaitable<void> MirrorHandler::stream_range(Exchange& exchange,
                                                         const mirror::MetaPtr& meta,
                                                         std::uint64_t first, std::uint64_t last,
                                                         std::uint64_t last_wanted_segment,
                                                         std::optional<Acquired> first_segment) {
  const std::uint64_t size = options_.segment_size;
  const std::string target(exchange.target());
  for (std::uint64_t index = first / size; index <= last / size; ++index) {
    Acquired acquired{};
    if (first_segment) {
      acquired = std::move(*std::exchange(first_segment, std::nullopt));
    } else {
      acquired = co_await segments_.acquire(target, meta, index, mirror::Reach::cluster,
                                            &exchange.trace());
    }
    for (std::uint64_t ahead = index + 1;
         ahead <= std::min(last_wanted_segment, index + options_.read_ahead); ++ahead) {
      segments_.prefetch(target, meta, ahead, &exchange.trace());
    }
    exchange.sending_from(acquired.source);
    std::uint64_t start = index * size;
    std::uint64_t from = std::max(first, start) - start;
    std::uint64_t to = std::min(last, start + length_of(acquired) - 1) - start + 1;
    co_await send_segment(exchange, acquired, from, to, segments_.memory(),
                          [&] { return segments_.acquire(target, meta, index); });
  }
}

}  // namespace casserole::server
