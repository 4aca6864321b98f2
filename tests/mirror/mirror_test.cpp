// ObjectDirectory and SegmentSource against an origin in the same io_context: what reaches the
// upstream (how many HEADs and GETs, with which conditions) and what the mirror makes of the
// answers.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "async/signal.hpp"
#include "disk/disk_store.hpp"
#include "mirror/mirror_error.hpp"
#include "mirror/object_directory.hpp"
#include "mirror/segment_source.hpp"
#include "support/coroutine_testing.hpp"
#include "support/temp_dir.hpp"
#include "test_origin.hpp"
#include "upstream/upstream_error.hpp"

namespace casserole::mirror {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using test::rethrow;
using test::sleep_for;
using testing::OriginObject;
using testing::TestOrigin;

constexpr std::uint64_t kSegmentSize = 1000;
constexpr std::string_view kLastModified = "Thu, 01 Feb 2024 12:00:00 GMT";
const std::string kTarget = "/pool/object.bin";

std::string pattern(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 7 + i / 251) % 256);
  return out;
}

OriginObject object(std::size_t size, std::string etag = "\"v1\"") {
  OriginObject out;
  out.body = pattern(size);
  out.etag = std::move(etag);
  out.last_modified = kLastModified;
  return out;
}

// Runs body(0) .. body(n - 1) as concurrent coroutines and waits for all of them.
asio::awaitable<void> concurrently(int n, std::function<asio::awaitable<void>(int)> body) {
  int left = n;
  std::exception_ptr first_error;
  async::Signal finished;
  for (int i = 0; i < n; ++i) {
    asio::co_spawn(co_await asio::this_coro::executor, body(i), [&](std::exception_ptr error) {
      if (error && !first_error) first_error = error;
      if (--left == 0) finished.notify_all();
    });
  }
  while (left > 0) co_await finished.wait();
  if (first_error) std::rethrow_exception(first_error);
}

// The segment's bytes once it stops filling, or its failure.
asio::awaitable<std::string> read_all(std::shared_ptr<cache::Segment> segment) {
  while (segment->state() == cache::Segment::State::filling) {
    co_await segment->wait_beyond(segment->filled());
  }
  if (segment->failure()) std::rethrow_exception(segment->failure());
  co_return std::string(reinterpret_cast<const char*>(segment->data()), segment->size());
}

asio::awaitable<std::exception_ptr> failure_of(std::shared_ptr<cache::Segment> segment) {
  try {
    co_await read_all(std::move(segment));
  } catch (...) {
    co_return std::current_exception();
  }
  co_return nullptr;
}

MirrorOptions mirror_options() {
  MirrorOptions options;
  options.segment_size = kSegmentSize;
  options.memory_wait = 100ms;
  return options;
}

class MirrorTest : public ::testing::Test {
 protected:
  // Runs the test's coroutine, then stops the origin so that the io_context runs out of work.
  void run(std::function<asio::awaitable<void>()> test) {
    std::exception_ptr failure;
    asio::co_spawn(io_, test(), [&](std::exception_ptr error) {
      failure = error;
      origin_.stop();
    });
    io_.run();
    if (failure) std::rethrow_exception(failure);
  }

  std::vector<std::string> fields_of(std::string_view method, std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& request : origin_.requests()) {
      if (request.method == method) out.push_back(request.field(name));
    }
    return out;
  }

  asio::io_context io_;
  TestOrigin origin_{io_};
  upstream::ConnectionPool pool_{io_.get_executor(), upstream::UpstreamUrl::parse(origin_.url()),
                                 upstream::UpstreamOptions{}};
  upstream::UpstreamClient client_{pool_};
  cache::MemoryStore store_{1 << 20};
  MirrorOptions options_ = mirror_options();
  ObjectDirectory directory_{store_, nullptr, client_, upstream::CachePolicy{.min_ttl = 60s}};
  SegmentSource source_{io_.get_executor(), store_, nullptr, client_, directory_, options_};
};

TEST_F(MirrorTest, ConcurrentLookupsShareOneHead) {
  origin_.objects()[kTarget] = object(2500);
  std::vector<MetaPtr> metas;
  run([&]() -> asio::awaitable<void> {
    co_await concurrently(8, [&](int) -> asio::awaitable<void> {
      metas.push_back(co_await directory_.lookup(kTarget));
    });
  });
  EXPECT_EQ(origin_.count("HEAD"), 1u);
  ASSERT_EQ(metas.size(), 8u);
  for (const auto& meta : metas) EXPECT_EQ(meta, metas.front());
  EXPECT_TRUE(metas.front()->cacheable()) << metas.front()->not_cacheable_reason();
  EXPECT_EQ(metas.front()->length(), 2500u);
}

TEST_F(MirrorTest, FreshMetadataNeedsNoHead) {
  origin_.objects()[kTarget] = object(2500);
  run([&]() -> asio::awaitable<void> {
    auto first = co_await directory_.lookup(kTarget);
    auto second = co_await directory_.lookup(kTarget);
    EXPECT_EQ(first, second);
  });
  EXPECT_EQ(origin_.count("HEAD"), 1u);
}

TEST_F(MirrorTest, StaleMetadataIsRevalidatedAndKeepsItsVersion) {
  OriginObject stale_on_arrival = object(2500);
  stale_on_arrival.cache_control = "no-cache";
  origin_.objects()[kTarget] = stale_on_arrival;
  // no-cache: stored, and revalidated before every use.
  ObjectDirectory directory(store_, nullptr, client_, upstream::CachePolicy{});
  run([&]() -> asio::awaitable<void> {
    auto first = co_await directory.lookup(kTarget);
    EXPECT_TRUE(first->cacheable()) << first->not_cacheable_reason();
    EXPECT_EQ(directory.held(kTarget), nullptr) << "stale metadata must be revalidated";
    auto second = co_await directory.lookup(kTarget);
    EXPECT_TRUE(second->cacheable()) << second->not_cacheable_reason();
    EXPECT_EQ(second->version(), first->version());
    EXPECT_EQ(second->length(), 2500u);
  });
  ASSERT_EQ(origin_.count("HEAD"), 2u);
  EXPECT_EQ(fields_of("HEAD", "If-None-Match"), (std::vector<std::string>{"", "\"v1\""}));
  EXPECT_EQ(fields_of("HEAD", "If-Modified-Since"),
            (std::vector<std::string>{"", std::string(kLastModified)}));
}

TEST_F(MirrorTest, RevalidationNoticesAChangedObject) {
  OriginObject stale_on_arrival = object(2500);
  stale_on_arrival.cache_control = "no-cache";
  origin_.objects()[kTarget] = stale_on_arrival;
  ObjectDirectory directory(store_, nullptr, client_, upstream::CachePolicy{});
  run([&]() -> asio::awaitable<void> {
    auto first = co_await directory.lookup(kTarget);
    origin_.objects()[kTarget].etag = "\"v2\"";
    auto second = co_await directory.lookup(kTarget);
    EXPECT_NE(second->version(), first->version());
    EXPECT_EQ(second->etag().value_or(http::EntityTag{}).opaque, "\"v2\"");
  });
  EXPECT_EQ(origin_.count("HEAD"), 2u);
}

TEST_F(MirrorTest, UncacheableAnswerIsRememberedForABurst) {
  OriginObject uncacheable = object(2500);
  uncacheable.cache_control = "no-store";
  origin_.objects()[kTarget] = uncacheable;
  run([&]() -> asio::awaitable<void> {
    auto first = co_await directory_.lookup(kTarget);
    EXPECT_FALSE(first->cacheable());
    auto second = co_await directory_.lookup(kTarget);
    EXPECT_FALSE(second->cacheable());
  });
  EXPECT_EQ(origin_.count("HEAD"), 1u);
}

TEST_F(MirrorTest, MissingObjectIsPassedOnAsItIs) {
  run([&]() -> asio::awaitable<void> {
    auto meta = co_await directory_.lookup("/missing");
    EXPECT_EQ(meta->status(), 404u);
    EXPECT_FALSE(meta->cacheable());
  });
}

TEST_F(MirrorTest, InvalidateForgetsTheMetadata) {
  origin_.objects()[kTarget] = object(2500);
  run([&]() -> asio::awaitable<void> {
    co_await directory_.lookup(kTarget);
    directory_.invalidate(kTarget);
    co_await directory_.lookup(kTarget);
  });
  EXPECT_EQ(origin_.count("HEAD"), 2u);
  EXPECT_EQ(fields_of("HEAD", "If-None-Match"), (std::vector<std::string>{"", ""}));
}

TEST_F(MirrorTest, HeldMetadataIsWhatALookupWouldAnswerWithoutAsking) {
  origin_.objects()[kTarget] = object(2500);
  run([&]() -> asio::awaitable<void> {
    EXPECT_EQ(directory_.held(kTarget), nullptr);
    auto meta = co_await directory_.lookup(kTarget);
    EXPECT_EQ(directory_.held(kTarget), meta);
    directory_.invalidate(kTarget);
    EXPECT_EQ(directory_.held(kTarget), nullptr);
  });
  EXPECT_EQ(origin_.count("HEAD"), 1u);
}

TEST_F(MirrorTest, RefusalIsRememberedWhileFresh) {
  origin_.objects()[kTarget] = object(2500);
  run([&]() -> asio::awaitable<void> {
    auto meta = co_await directory_.lookup(kTarget);
    directory_.refuse(kTarget, meta, "ranges ignored");
    auto again = co_await directory_.lookup(kTarget);
    EXPECT_FALSE(again->cacheable());
    EXPECT_EQ(again->not_cacheable_reason(), "ranges ignored");
  });
  EXPECT_EQ(origin_.count("HEAD"), 1u);
}

TEST_F(MirrorTest, UnreachableUpstreamIsAnUpstreamError) {
  std::string closed_url;
  {
    asio::ip::tcp::acceptor probe(io_, {asio::ip::make_address("127.0.0.1"), 0});
    closed_url = "http://127.0.0.1:" + std::to_string(probe.local_endpoint().port());
  }
  upstream::ConnectionPool pool(io_.get_executor(), upstream::UpstreamUrl::parse(closed_url), {});
  upstream::UpstreamClient client(pool);
  ObjectDirectory directory(store_, nullptr, client, upstream::CachePolicy{.min_ttl = 60s});
  int failures = 0;
  run([&]() -> asio::awaitable<void> {
    co_await concurrently(3, [&](int) -> asio::awaitable<void> {
      try {
        co_await directory.lookup(kTarget);
      } catch (const upstream::UpstreamError& error) {
        EXPECT_EQ(error.kind(), upstream::UpstreamError::Kind::unreachable) << error.what();
        ++failures;
      }
    });
  });
  EXPECT_EQ(failures, 3);
}

TEST_F(MirrorTest, ConcurrentReadersShareOneRangedGet) {
  origin_.objects()[kTarget] = object(2500);
  std::vector<SegmentSource::Acquired> acquired;
  run([&]() -> asio::awaitable<void> {
    auto meta = co_await directory_.lookup(kTarget);
    co_await concurrently(6, [&](int) -> asio::awaitable<void> {
      auto got = co_await source_.acquire(kTarget, meta, 1);
      EXPECT_EQ(co_await read_all(got.segment), pattern(2500).substr(1000, 1000));
      acquired.push_back(got);
    });
  });
  EXPECT_EQ(origin_.count("GET"), 1u);
  EXPECT_EQ(fields_of("GET", "Range"), (std::vector<std::string>{"bytes=1000-1999"}));
  EXPECT_EQ(fields_of("GET", "If-Match"), (std::vector<std::string>{"\"v1\""}));
  ASSERT_EQ(acquired.size(), 6u);
  for (const auto& got : acquired) {
    EXPECT_EQ(got.segment, acquired.front().segment);
    EXPECT_EQ(got.source, cache::Source::upstream);
  }
}

TEST_F(MirrorTest, CompleteSegmentComesFromMemory) {
  origin_.objects()[kTarget] = object(2500);
  run([&]() -> asio::awaitable<void> {
    auto meta = co_await directory_.lookup(kTarget);
    auto first = co_await source_.acquire(kTarget, meta, 0);
    co_await read_all(first.segment);
    EXPECT_EQ(source_.likely_source(kTarget, meta, 0), cache::Source::memory);
    auto second = co_await source_.acquire(kTarget, meta, 0);
    EXPECT_EQ(second.source, cache::Source::memory);
    EXPECT_EQ(second.segment, first.segment);
  });
  EXPECT_EQ(origin_.count("GET"), 1u);
}

TEST_F(MirrorTest, HeldSegmentIsTheOneInMemory) {
  origin_.objects()[kTarget] = object(2500);
  run([&]() -> asio::awaitable<void> {
    auto meta = co_await directory_.lookup(kTarget);
    EXPECT_FALSE(source_.held(kTarget, meta, 0));
    auto first = co_await source_.acquire(kTarget, meta, 0);
    auto held = source_.held(kTarget, meta, 0);
    EXPECT_EQ(held ? held->segment : nullptr, first.segment);
    EXPECT_FALSE(source_.held(kTarget, meta, 1));
    co_await read_all(first.segment);
  });
  EXPECT_EQ(origin_.count("GET"), 1u);
}

TEST_F(MirrorTest, LastSegmentIsShort) {
  origin_.objects()[kTarget] = object(2500);
  run([&]() -> asio::awaitable<void> {
    auto meta = co_await directory_.lookup(kTarget);
    auto last = co_await source_.acquire(kTarget, meta, 2);
    EXPECT_EQ(last.segment->size(), 500u);
    EXPECT_EQ(co_await read_all(last.segment), pattern(2500).substr(2000));
  });
  EXPECT_EQ(fields_of("GET", "Range"), (std::vector<std::string>{"bytes=2000-2499"}));
}

TEST_F(MirrorTest, WithoutAStrongETagFetchesArePinnedByDate) {
  origin_.objects()[kTarget] = object(2500, "W/\"v1\"");
  run([&]() -> asio::awaitable<void> {
    auto meta = co_await directory_.lookup(kTarget);
    co_await read_all((co_await source_.acquire(kTarget, meta, 0)).segment);
  });
  EXPECT_EQ(fields_of("GET", "If-Unmodified-Since"),
            (std::vector<std::string>{std::string(kLastModified)}));
  EXPECT_EQ(fields_of("GET", "If-Match"), (std::vector<std::string>{""}));
}

TEST_F(MirrorTest, ChangedObjectFailsTheSegmentAndIsLookedUpAgain) {
  origin_.objects()[kTarget] = object(2500);
  run([&]() -> asio::awaitable<void> {
    auto meta = co_await directory_.lookup(kTarget);
    origin_.objects()[kTarget].etag = "\"v2\"";
    auto got = co_await source_.acquire(kTarget, meta, 0);
    auto failure = co_await failure_of(got.segment);
    EXPECT_THROW(std::rethrow_exception(failure), ObjectChanged);

    // The failed segment is not served again, and the metadata is asked for afresh.
    auto retry = co_await source_.acquire(kTarget, meta, 0);
    EXPECT_NE(retry.segment, got.segment);
    co_await failure_of(retry.segment);
    auto current = co_await directory_.lookup(kTarget);
    EXPECT_NE(current->version(), meta->version());
    auto fresh = co_await source_.acquire(kTarget, current, 0);
    EXPECT_EQ(co_await read_all(fresh.segment), pattern(2500).substr(0, 1000));
  });
  EXPECT_EQ(origin_.count("HEAD"), 2u);
  EXPECT_EQ(fields_of("GET", "If-Match"), (std::vector<std::string>{"\"v1\"", "\"v1\"", "\"v2\""}));
}

TEST_F(MirrorTest, ChangedETagIsCaughtWithoutPreconditionSupport) {
  origin_.objects()[kTarget] = object(2500);
  run([&]() -> asio::awaitable<void> {
    auto meta = co_await directory_.lookup(kTarget);
    origin_.objects()[kTarget].etag = "\"v2\"";
    origin_.objects()[kTarget].ignore_preconditions = true;
    auto failure = co_await failure_of((co_await source_.acquire(kTarget, meta, 0)).segment);
    EXPECT_THROW(std::rethrow_exception(failure), ObjectChanged);
  });
}

TEST_F(MirrorTest, ChangedLastModifiedIsCaughtWithoutPreconditionSupport) {
  origin_.objects()[kTarget] = object(2500, "");
  run([&]() -> asio::awaitable<void> {
    auto meta = co_await directory_.lookup(kTarget);
    origin_.objects()[kTarget].last_modified = "Fri, 02 Feb 2024 12:00:00 GMT";
    origin_.objects()[kTarget].ignore_preconditions = true;
    auto failure = co_await failure_of((co_await source_.acquire(kTarget, meta, 0)).segment);
    EXPECT_THROW(std::rethrow_exception(failure), ObjectChanged);
  });
}

TEST_F(MirrorTest, ChangedLengthIsCaught) {
  origin_.objects()[kTarget] = object(2500);
  run([&]() -> asio::awaitable<void> {
    auto meta = co_await directory_.lookup(kTarget);
    origin_.objects()[kTarget].body = pattern(3000);
    origin_.objects()[kTarget].ignore_preconditions = true;
    auto failure = co_await failure_of((co_await source_.acquire(kTarget, meta, 0)).segment);
    EXPECT_THROW(std::rethrow_exception(failure), ObjectChanged);
  });
}

TEST_F(MirrorTest, IgnoredRangesRefuseTheObject) {
  origin_.objects()[kTarget] = object(2500);
  origin_.objects()[kTarget].ignore_ranges = true;
  run([&]() -> asio::awaitable<void> {
    auto meta = co_await directory_.lookup(kTarget);
    auto failure = co_await failure_of((co_await source_.acquire(kTarget, meta, 1)).segment);
    EXPECT_THROW(std::rethrow_exception(failure), NotCacheable);
    auto again = co_await directory_.lookup(kTarget);
    EXPECT_FALSE(again->cacheable());
  });
  EXPECT_EQ(origin_.count("HEAD"), 1u);
}

TEST_F(MirrorTest, PrefetchFetchesEachSegmentOnce) {
  origin_.objects()[kTarget] = object(2500);
  run([&]() -> asio::awaitable<void> {
    auto meta = co_await directory_.lookup(kTarget);
    for (int round = 0; round < 2; ++round) {
      for (std::uint64_t i = 0; i < 4; ++i) source_.prefetch(kTarget, meta, i);
    }
    // Prefetching never waits; a reader arriving meanwhile joins the fetch under way.
    auto got = co_await source_.acquire(kTarget, meta, 1);
    EXPECT_EQ(got.source, cache::Source::upstream);
    auto all_in_memory = [&] {
      for (std::uint64_t i = 0; i <= 2; ++i) {
        if (source_.likely_source(kTarget, meta, i) != cache::Source::memory) return false;
      }
      return true;
    };
    for (int i = 0; i < 200 && !all_in_memory(); ++i) co_await sleep_for(5ms);
    EXPECT_TRUE(all_in_memory());
  });
  EXPECT_EQ(origin_.count("GET"), 3u);
}

TEST_F(MirrorTest, SegmentLargerThanTheMemoryTierIsMemoryExhausted) {
  origin_.objects()[kTarget] = object(2500);
  cache::MemoryStore small(kSegmentSize / 2);
  ObjectDirectory directory(small, nullptr, client_, upstream::CachePolicy{.min_ttl = 60s});
  SegmentSource source(io_.get_executor(), small, nullptr, client_, directory, options_);
  run([&]() -> asio::awaitable<void> {
    auto meta = co_await directory.lookup(kTarget);
    bool exhausted = false;
    try {
      co_await source.acquire(kTarget, meta, 0);
    } catch (const MemoryExhausted&) {
      exhausted = true;
    }
    EXPECT_TRUE(exhausted);
  });
  EXPECT_EQ(origin_.count("GET"), 0u);
}

TEST_F(MirrorTest, MemoryHeldTooLongIsMemoryExhausted) {
  origin_.objects()[kTarget] = object(2500);
  cache::MemoryStore tight(kSegmentSize);
  ObjectDirectory directory(tight, nullptr, client_, upstream::CachePolicy{.min_ttl = 60s});
  SegmentSource source(io_.get_executor(), tight, nullptr, client_, directory, options_);
  run([&]() -> asio::awaitable<void> {
    auto meta = co_await directory.lookup(kTarget);
    // Half of the tier stays with a reader of the last segment.
    auto reader = co_await source.acquire(kTarget, meta, 2);
    co_await read_all(reader.segment);
    const auto start = std::chrono::steady_clock::now();
    bool exhausted = false;
    try {
      co_await source.acquire(kTarget, meta, 0);
    } catch (const MemoryExhausted&) {
      exhausted = true;
    }
    EXPECT_TRUE(exhausted);
    EXPECT_GE(std::chrono::steady_clock::now() - start, options_.memory_wait);
  });
  EXPECT_EQ(origin_.count("GET"), 1u);
}

// The mirror with a disk tier. restart() drops the memory tier and opens the directory again,
// as a node restarting on the same --disk-cache-dir does.
class DiskMirrorTest : public MirrorTest {
 protected:
  struct Node {
    Node(asio::io_context& io, const std::filesystem::path& dir, upstream::UpstreamClient& client,
         const MirrorOptions& options)
        : disk(
              io.get_executor(),
              disk::DiskStore::Options{.dir = dir, .max_usage = 1 << 30, .cleaned_usage = 1 << 29}),
          directory(store, &disk, client, options.cache_policy),
          source(io.get_executor(), store, &disk, client, directory, options) {}
    cache::MemoryStore store{1 << 20};
    disk::DiskStore disk;
    ObjectDirectory directory;
    SegmentSource source;
  };

  void SetUp() override { start(); }
  void start() { node_ = std::make_unique<Node>(io_, dir_.path(), client_, options_); }
  asio::awaitable<void> restart() {
    co_await node_->disk.drain(std::chrono::steady_clock::now() + 10s);
    node_.reset();
    start();
  }

  // The largest entry file: a segment rather than metadata.
  std::filesystem::path largest_entry() const {
    std::filesystem::path largest;
    std::uintmax_t size = 0;
    for (const auto& file :
         std::filesystem::recursive_directory_iterator(dir_.path() / "entries")) {
      if (file.is_regular_file() && file.file_size() > size) {
        size = file.file_size();
        largest = file.path();
      }
    }
    return largest;
  }

  test::TempDir dir_;
  std::unique_ptr<Node> node_;
};

// Outside the coroutine: GCC 12 under the sanitizers warns wrongly about a stream in its frame.
void flip_last_byte(const std::filesystem::path& file) {
  std::fstream stream(file, std::ios::in | std::ios::out | std::ios::binary);
  stream.seekg(-1, std::ios::end);
  char last = static_cast<char>(stream.get());
  stream.seekp(-1, std::ios::end);
  stream.put(static_cast<char>(last ^ 0x20));
}

std::string contents(const disk::OpenEntry& entry) {
  std::string out(entry.payload_size, '\0');
  EXPECT_EQ(
      ::pread(entry.file.get(), out.data(), out.size(), static_cast<off_t>(entry.payload_offset)),
      static_cast<ssize_t>(out.size()));
  return out;
}

TEST_F(DiskMirrorTest, RestartServesSegmentsAndMetadataFromDisk) {
  origin_.objects()[kTarget] = object(2500);
  run([&]() -> asio::awaitable<void> {
    auto meta = co_await node_->directory.lookup(kTarget);
    for (std::uint64_t i = 0; i < 3; ++i) {
      co_await read_all((co_await node_->source.acquire(kTarget, meta, i)).segment);
    }
    co_await restart();
    auto again = co_await node_->directory.lookup(kTarget);
    EXPECT_EQ(again->version(), meta->version());
    for (std::uint64_t i = 0; i < 3; ++i) {
      EXPECT_EQ(node_->source.likely_source(kTarget, again, i), cache::Source::disk);
      auto got = co_await node_->source.acquire(kTarget, again, i);
      EXPECT_EQ(got.source, cache::Source::disk);
      EXPECT_FALSE(got.segment);
      if (got.file) {
        EXPECT_EQ(contents(*got.file), pattern(2500).substr(i * 1000, 1000));
      }
    }
  });
  EXPECT_EQ(origin_.count("HEAD"), 1u);
  EXPECT_EQ(origin_.count("GET"), 3u);
}

TEST_F(DiskMirrorTest, SegmentReadAgainIsPromotedToMemory) {
  origin_.objects()[kTarget] = object(2500);
  run([&]() -> asio::awaitable<void> {
    auto meta = co_await node_->directory.lookup(kTarget);
    co_await read_all((co_await node_->source.acquire(kTarget, meta, 1)).segment);
    co_await restart();
    auto first = co_await node_->source.acquire(kTarget, meta, 1);
    EXPECT_TRUE(first.file);
    auto second = co_await node_->source.acquire(kTarget, meta, 1);
    EXPECT_EQ(second.source, cache::Source::disk);
    EXPECT_TRUE(second.segment);
    if (second.segment) {
      EXPECT_EQ(co_await read_all(second.segment), pattern(2500).substr(1000, 1000));
    }
    auto third = co_await node_->source.acquire(kTarget, meta, 1);
    EXPECT_EQ(third.source, cache::Source::memory);
    EXPECT_EQ(third.segment, second.segment);
  });
  EXPECT_EQ(origin_.count("GET"), 1u);
}

TEST_F(DiskMirrorTest, DamagedSegmentIsFetchedAgain) {
  origin_.objects()[kTarget] = object(2500);
  run([&]() -> asio::awaitable<void> {
    auto meta = co_await node_->directory.lookup(kTarget);
    co_await read_all((co_await node_->source.acquire(kTarget, meta, 0)).segment);
    co_await restart();
    flip_last_byte(largest_entry());
    auto got = co_await node_->source.acquire(kTarget, meta, 0);
    EXPECT_EQ(got.source, cache::Source::upstream);
    EXPECT_EQ(co_await read_all(got.segment), pattern(2500).substr(0, 1000));
  });
  EXPECT_EQ(origin_.count("GET"), 2u);
}

// no-cache: the metadata on disk is stored, and stale whenever it is used.
TEST_F(DiskMirrorTest, StaleMetadataOnDiskIsRevalidatedAndKeepsTheSegments) {
  origin_.objects()[kTarget] = object(2500);
  origin_.objects()[kTarget].cache_control = "no-cache";
  run([&]() -> asio::awaitable<void> {
    auto meta = co_await node_->directory.lookup(kTarget);
    co_await read_all((co_await node_->source.acquire(kTarget, meta, 0)).segment);
    co_await restart();
    auto again = co_await node_->directory.lookup(kTarget);
    EXPECT_EQ(again->version(), meta->version());
    EXPECT_EQ((co_await node_->source.acquire(kTarget, again, 0)).source, cache::Source::disk);
  });
  EXPECT_EQ(fields_of("HEAD", "If-None-Match"), (std::vector<std::string>{"", "\"v1\""}));
  EXPECT_EQ(origin_.count("GET"), 1u);
}

TEST_F(DiskMirrorTest, ChangedObjectDropsItsMetadataFromDisk) {
  origin_.objects()[kTarget] = object(2500);
  run([&]() -> asio::awaitable<void> {
    auto meta = co_await node_->directory.lookup(kTarget);
    co_await read_all((co_await node_->source.acquire(kTarget, meta, 0)).segment);
    co_await restart();
    origin_.objects()[kTarget].etag = "\"v2\"";
    auto stored = co_await node_->directory.lookup(kTarget);
    EXPECT_EQ(stored->version(), meta->version());
    co_await failure_of((co_await node_->source.acquire(kTarget, stored, 1)).segment);
    co_await restart();
    auto current = co_await node_->directory.lookup(kTarget);
    EXPECT_NE(current->version(), meta->version());
  });
  EXPECT_EQ(origin_.count("HEAD"), 2u);
}

}  // namespace
}  // namespace casserole::mirror
