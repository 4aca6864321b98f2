// SegmentSource: one segment of one object version, from the memory tier when it is there, else
// from the disk tier, else fetched by exactly one ranged GET to the upstream while any number of
// readers stream it as it fills; a fetched segment is then written to disk in the background.
// The fetch pins the object's version (If-Match / If-Unmodified-Since) and checks the answer
// (206, Content-Range, validators); a mismatch fails the segment with ObjectChanged and drops the
// object's metadata, so a mixed body is never served. A disk hit is sent from the file; one read
// before is promoted to memory when memory is free, which is how hot segments end up there.
// Read-ahead opens (and so verifies) disk segments ahead of their reader.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "async/single_flight.hpp"
#include "cache/memory_store.hpp"
#include "cache/segment.hpp"
#include "disk/disk_store.hpp"
#include "mirror/mirror_options.hpp"
#include "mirror/object_directory.hpp"
#include "upstream/upstream_client.hpp"

namespace casserole::mirror {

class SegmentSource {
 public:
  // `disk` may be null: no disk tier.
  SegmentSource(boost::asio::any_io_executor executor, cache::MemoryStore& store,
                disk::DiskStore* disk, upstream::UpstreamClient& upstream,
                ObjectDirectory& directory, const MirrorOptions& options)
      : executor_(std::move(executor)),
        store_(store),
        disk_(disk),
        upstream_(upstream),
        directory_(directory),
        options_(options) {}

  // Exactly one of segment (in memory, complete or filling) and file (on disk, verified) is set.
  struct Acquired {
    std::shared_ptr<cache::Segment> segment;
    std::shared_ptr<const disk::OpenEntry> file;
    cache::Source source;
  };

  // The segment, complete or filling. Waits for room in the memory tier if it must; throws
  // MemoryExhausted when none comes.
  boost::asio::awaitable<Acquired> acquire(const std::string& target, const MetaPtr& meta,
                                           std::uint64_t index);
  // Starts fetching the segment if it is missing and memory is free right now; never waits.
  void prefetch(const std::string& target, const MetaPtr& meta, std::uint64_t index);
  // Where acquire() would find the segment now, as far as the indexes tell without reading.
  cache::Source likely_source(const std::string& target, const MetaPtr& meta,
                              std::uint64_t index) const;

  std::uint64_t segment_size() const { return options_.segment_size; }

 private:
  std::string key(const std::string& target, const MetaPtr& meta, std::uint64_t index) const;
  std::uint64_t length_of(const MetaPtr& meta, std::uint64_t index) const;
  // The flight behind acquire(): disk, else memory charged and an upstream fetch started.
  boost::asio::awaitable<Acquired> find_or_fetch(const std::string& target, const MetaPtr& meta,
                                                 std::uint64_t index, const std::string& k);
  enum class Fill { from_upstream, from_disk };
  std::shared_ptr<cache::Segment> start(const std::string& target, const MetaPtr& meta,
                                        std::uint64_t index, cache::MemoryBudget::Charge charge,
                                        Fill how);
  boost::asio::awaitable<void> fill(std::string target, MetaPtr meta, std::uint64_t index,
                                    std::shared_ptr<cache::Segment> segment, Fill how);
  // A promotion: worth it for a segment read from disk before, when memory is free right now.
  std::shared_ptr<cache::Segment> promote(const std::string& target, const MetaPtr& meta,
                                          std::uint64_t index);
  // Acquired with a null file when the disk has no usable file.
  boost::asio::awaitable<Acquired> open_file(const std::string& key);
  boost::asio::awaitable<void> open_ahead(std::string key);
  std::shared_ptr<const disk::OpenEntry> take_ready(const std::string& key);
  boost::asio::awaitable<void> fetch_into(const std::string& target, const MetaPtr& meta,
                                          std::uint64_t index, cache::Segment& segment);

  boost::asio::any_io_executor executor_;
  cache::MemoryStore& store_;
  disk::DiskStore* disk_;
  upstream::UpstreamClient& upstream_;
  ObjectDirectory& directory_;
  const MirrorOptions& options_;
  async::SingleFlight<Acquired> flights_;

  // Disk segments read-ahead opened for a reader that has yet to reach them. Taken once; a few
  // seconds old at most, so a file is never trusted long after its check.
  struct Ready {
    std::string key;
    std::shared_ptr<const disk::OpenEntry> file;
    std::chrono::steady_clock::time_point opened;
  };
  std::deque<Ready> ready_;
};

}  // namespace casserole::mirror
