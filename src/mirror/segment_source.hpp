// SegmentSource: one segment of one object version, from the memory tier when it is there, else
// fetched by exactly one ranged GET to the upstream while any number of readers stream it as it
// fills. The fetch pins the object's version (If-Match / If-Unmodified-Since) and checks the
// answer (206, Content-Range, validators); a mismatch fails the segment with ObjectChanged and
// drops the object's metadata, so a mixed body is never served.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "async/single_flight.hpp"
#include "cache/memory_store.hpp"
#include "cache/segment.hpp"
#include "mirror/mirror_options.hpp"
#include "mirror/object_directory.hpp"
#include "upstream/upstream_client.hpp"

namespace casserole::mirror {

class SegmentSource {
 public:
  SegmentSource(boost::asio::any_io_executor executor, cache::MemoryStore& store,
                upstream::UpstreamClient& upstream, ObjectDirectory& directory,
                const MirrorOptions& options)
      : executor_(std::move(executor)),
        store_(store),
        upstream_(upstream),
        directory_(directory),
        options_(options) {}

  struct Acquired {
    std::shared_ptr<cache::Segment> segment;
    cache::Source source;
  };

  // The segment, complete or filling. Waits for room in the memory tier if it must; throws
  // MemoryExhausted when none comes.
  boost::asio::awaitable<Acquired> acquire(const std::string& target, const MetaPtr& meta,
                                           std::uint64_t index);
  // Starts fetching the segment if it is missing and memory is free right now; never waits.
  void prefetch(const std::string& target, const MetaPtr& meta, std::uint64_t index);
  // True when every segment in [first, last] is complete in memory.
  bool all_in_memory(const std::string& target, const MetaPtr& meta, std::uint64_t first,
                     std::uint64_t last) const;

  std::uint64_t segment_size() const { return options_.segment_size; }

 private:
  std::string key(const std::string& target, const MetaPtr& meta, std::uint64_t index) const;
  std::uint64_t length_of(const MetaPtr& meta, std::uint64_t index) const;
  std::shared_ptr<cache::Segment> start(const std::string& target, const MetaPtr& meta,
                                        std::uint64_t index, cache::MemoryBudget::Charge charge);
  boost::asio::awaitable<void> fill(std::string target, MetaPtr meta, std::uint64_t index,
                                    std::shared_ptr<cache::Segment> segment);
  boost::asio::awaitable<void> fetch_into(const std::string& target, const MetaPtr& meta,
                                          std::uint64_t index, cache::Segment& segment);

  boost::asio::any_io_executor executor_;
  cache::MemoryStore& store_;
  upstream::UpstreamClient& upstream_;
  ObjectDirectory& directory_;
  const MirrorOptions& options_;
  async::SingleFlight<Acquired> flights_;
};

}  // namespace casserole::mirror
