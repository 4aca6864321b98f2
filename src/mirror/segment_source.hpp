// SegmentSource: one segment of one object version, from the memory tier when it is there, else
// from the disk tier, else fetched by exactly one ranged GET to the upstream while any number of
// readers stream it as it fills; a fetched segment is then written to disk in the background.
// The fetch pins the object's version (If-Match / If-Unmodified-Since) and checks the answer
// (206, Content-Range, validators); a mismatch fails the segment with ObjectChanged and drops the
// object's metadata, so a mixed body is never served; an answer that ignores the range or forbids
// storing it (private, no-store, Set-Cookie) fails it with NotCacheable, stores nothing and marks
// the object not cacheable, so it is streamed through from then on. A disk hit is sent from the
// file; one read before is promoted to memory (a large object's only into unused memory), which is
// how hot segments end up there. Read-ahead opens (and so verifies) disk segments ahead of their
// reader. In a cluster a segment missing here comes from its owner node, streamed on to readers as
// it arrives, and is kept in a bounded share of memory; an owner that fails or stalls is replaced
// by the upstream for the rest of the segment. The owner itself first asks the previous owner
// for a stored copy, then the upstream, and keeps what it fetched on disk.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>

#include "async/single_flight.hpp"
#include "cache/memory_store.hpp"
#include "cache/segment.hpp"
#include "disk/disk_store.hpp"
#include "mirror/mirror_options.hpp"
#include "mirror/object_directory.hpp"
#include "mirror/trace.hpp"
#include "upstream/upstream_client.hpp"

namespace casserole::mirror {

class SegmentSource {
 public:
  // `disk` may be null: no disk tier; `peers` may be null: a node alone.
  SegmentSource(boost::asio::any_io_executor executor, cache::MemoryStore& store,
                disk::DiskStore* disk, upstream::UpstreamClient& upstream,
                ObjectDirectory& directory, const MirrorOptions& options,
                peering::PeerGroup* peers = nullptr)
      : executor_(std::move(executor)),
        store_(store),
        disk_(disk),
        upstream_(upstream),
        directory_(directory),
        options_(options),
        peers_(peers) {
    directory_.on_first_segment([this](const std::string& target, const MetaPtr& meta,
                                       std::unique_ptr<upstream::UpstreamResponse> answer) {
      adopt(target, meta, std::move(answer));
    });
  }

  // At most one of segment (in memory, complete or filling) and file (on disk, verified) is
  // set; neither only for Reach::stored when this node holds nothing.
  struct Acquired {
    std::shared_ptr<cache::Segment> segment;
    std::shared_ptr<const disk::OpenEntry> file;
    cache::Source source;
  };

  // The segment, complete or filling. Waits for room in the memory tier if it must; throws
  // MemoryExhausted when none comes.
  // `trace`, when given, notes what it took (mirror/trace.hpp).
  boost::asio::awaitable<Acquired> acquire(const std::string& target, const MetaPtr& meta,
                                           std::uint64_t index, Reach reach = Reach::cluster,
                                           Trace* trace = nullptr);
  // acquire()'s answer when memory holds the segment, else nullopt; never waits. Callers ask it
  // first: the coroutine call of acquire() for that common answer showed in the profile.
  std::optional<Acquired> held(const std::string& target, const MetaPtr& meta, std::uint64_t index);
  // Starts fetching the segment if it is missing and memory is free right now; never waits.
  void prefetch(const std::string& target, const MetaPtr& meta, std::uint64_t index,
                Trace* trace = nullptr);
  // Where acquire() would find the segment now, as far as the indexes tell without reading.
  cache::Source likely_source(const std::string& target, const MetaPtr& meta,
                              std::uint64_t index) const;

  // A segment being filled from the upstream or a peer, for the status page.
  struct Fetch {
    std::string target;
    std::uint64_t index;
    cache::Source from;
    std::chrono::steady_clock::time_point started;
    std::weak_ptr<const cache::Segment> segment;
  };
  const std::list<Fetch>& fetches() const { return fetches_; }
  // What one object takes in the memory tier and on disk, found by its segments' keys.
  struct Usage {
    std::uint64_t memory_bytes = 0;
    std::uint64_t disk_bytes = 0;
    std::uint64_t segments = 0;  // held in either
  };
  Usage usage(const std::string& target, const MetaPtr& meta) const;

  std::uint64_t segment_size() const { return options_.segment_size; }
  // For readers that offer to let go of a segment while their client is slow.
  cache::MemoryStore& memory() { return store_; }

 private:
  std::string key(const std::string& target, const MetaPtr& meta, std::uint64_t index) const;
  // What decides a segment's owner node: its key, except for the first segment, which belongs
  // to the object's metadata owner, the node that may have learned both in one ranged GET.
  std::string ring_key(const std::string& target, std::uint64_t index,
                       const std::string& key) const;
  // Fills the first segment from the answer that brought the metadata, if memory is free now.
  void adopt(const std::string& target, const MetaPtr& meta,
             std::unique_ptr<upstream::UpstreamResponse> answer);
  std::uint64_t length_of(const MetaPtr& meta, std::uint64_t index) const;
  // The owner of segment `index` (key `key`) when it is another node and a client's request may
  // ask it.
  std::optional<std::string> owner_of(const std::string& target, std::uint64_t index,
                                      const std::string& key, Reach reach) const;
  // A segment in memory that `reach` may use: one being filled by asking its owner is not for
  // requests answered on a peer's behalf, or two nodes could wait on each other. `hit` counts
  // the lookup for eviction.
  std::optional<Acquired> in_memory(const std::string& key, Reach reach, bool hit);
  boost::asio::awaitable<Acquired> stored(const std::string& key);
  // The flight behind acquire(): disk, else memory charged and a fetch started (from `owner`
  // when given, else as the owner).
  boost::asio::awaitable<Acquired> find_or_fetch(const std::string& target, const MetaPtr& meta,
                                                 std::uint64_t index, const std::string& k,
                                                 const std::optional<std::string>& owner,
                                                 Trace* trace);
  // start() for a segment fetched on a request's behalf: from `owner`, else as the owner.
  std::shared_ptr<cache::Segment> start_fetch(const std::string& target, const MetaPtr& meta,
                                              std::uint64_t index,
                                              cache::MemoryBudget::Charge charge,
                                              std::optional<std::string> owner, Trace* trace);
  enum class Fill { from_disk, as_owner, from_owner };
  // `answer`: the upstream's answer for the segment, already asked (as_owner only).
  std::shared_ptr<cache::Segment> start(const std::string& target, const MetaPtr& meta,
                                        std::uint64_t index, cache::MemoryBudget::Charge charge,
                                        Fill how, std::string owner = {},
                                        std::unique_ptr<upstream::UpstreamResponse> answer = {});
  // Runs `filling` with its segment listed among the fetches in flight.
  boost::asio::awaitable<void> listed(Fetch fetch, boost::asio::awaitable<void> filling);
  boost::asio::awaitable<void> fill(std::string target, MetaPtr meta, std::uint64_t index,
                                    std::shared_ptr<cache::Segment> segment, Fill how,
                                    std::string owner,
                                    std::unique_ptr<upstream::UpstreamResponse> answer);
  // Streams what `peer` sends into the segment; leaves it filling if the peer has none or fails.
  boost::asio::awaitable<void> from_peer(const std::string& peer, peering::Scope scope,
                                         const std::string& target, const MetaPtr& meta,
                                         std::uint64_t index, cache::Segment& segment);
  // Keeps a segment owned elsewhere in memory within its share, dropping the oldest such.
  void borrow(const std::string& key, const std::shared_ptr<cache::Segment>& segment);
  // A promotion: worth it for a segment read from disk before, when memory is free right now.
  std::shared_ptr<cache::Segment> promote(const std::string& target, const MetaPtr& meta,
                                          std::uint64_t index);
  // Acquired with a null file when the disk has no usable file.
  boost::asio::awaitable<Acquired> open_file(const std::string& key);
  boost::asio::awaitable<void> open_ahead(std::string key);
  std::shared_ptr<const disk::OpenEntry> take_ready(const std::string& key);
  boost::asio::awaitable<void> fetch_into(const std::string& target, const MetaPtr& meta,
                                          std::uint64_t index, cache::Segment& segment,
                                          std::unique_ptr<upstream::UpstreamResponse> answer);

  boost::asio::any_io_executor executor_;
  cache::MemoryStore& store_;
  disk::DiskStore* disk_;
  upstream::UpstreamClient& upstream_;
  ObjectDirectory& directory_;
  const MirrorOptions& options_;
  peering::PeerGroup* peers_;
  async::SingleFlight<Acquired> flights_;
  std::unordered_set<std::string> asking_owner_;  // keys being filled from their owner

  struct Borrowed {
    std::string key;
    std::weak_ptr<cache::Segment> segment;
    std::uint64_t bytes;
  };
  std::deque<Borrowed> borrowed_;  // oldest first
  std::uint64_t borrowed_bytes_ = 0;

  // Disk segments read-ahead opened for a reader that has yet to reach them. Taken once; a few
  // seconds old at most, so a file is never trusted long after its check.
  struct Ready {
    std::string key;
    std::shared_ptr<const disk::OpenEntry> file;
    std::chrono::steady_clock::time_point opened;
  };
  std::deque<Ready> ready_;
  std::list<Fetch> fetches_;
};

}  // namespace casserole::mirror
