// DiskIndex: what the disk tier holds, by entry id: each entry's bytes on disk, how often it was
// read, and its place in least-recently-used order; the sum is what --max-disk-usage bounds.
// Bookkeeping only, the files are EntryFiles' business. O(1) per operation; about 72 bytes of
// memory per entry. Lives on the I/O thread.
#pragma once

#include <boost/intrusive/list.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

namespace casserole::disk {

class DiskIndex {
 public:
  using Clock = std::chrono::system_clock;

  DiskIndex() = default;
  DiskIndex(const DiskIndex&) = delete;
  DiskIndex& operator=(const DiskIndex&) = delete;
  ~DiskIndex();

  // Adds an entry, or replaces one with the same id, as the most recently used.
  void insert(std::uint64_t id, std::uint64_t bytes, Clock::time_point stamped);
  // Adds an entry found on disk as older than every entry already known; ignored when known.
  // Entries found at start-up are added newest first, so the oldest ends up least recent.
  void insert_older(std::uint64_t id, std::uint64_t bytes, Clock::time_point stamped);

  struct Use {
    unsigned earlier_reads;
    Clock::time_point stamped;  // when the file last recorded a use (see restamp)
  };
  // Records a read as the most recent use; nullopt for an unknown id.
  std::optional<Use> read(std::uint64_t id);
  // The file now records a use made at `when`.
  void restamp(std::uint64_t id, Clock::time_point when);
  std::optional<unsigned> reads(std::uint64_t id) const;
  // The identity the entry's file had when its payload was last verified (OpenEntry::identity);
  // 0 when it has not been since this process started.
  std::uint64_t verified(std::uint64_t id) const;
  void set_verified(std::uint64_t id, std::uint64_t identity);
  bool contains(std::uint64_t id) const { return entries_.contains(id); }
  // The entry's bytes on disk; 0 for an unknown id.
  std::uint64_t bytes_of(std::uint64_t id) const;
  void erase(std::uint64_t id);

  // Removes least recently used entries until bytes() <= target; returns their ids.
  std::vector<std::uint64_t> evict_to(std::uint64_t target);

  std::uint64_t bytes() const { return bytes_; }
  std::size_t size() const { return entries_.size(); }

 private:
  using Hook = boost::intrusive::list_member_hook<
      boost::intrusive::link_mode<boost::intrusive::normal_link>>;
  struct Entry {
    Hook hook;
    std::uint64_t id = 0;
    std::uint64_t bytes = 0;
    std::uint64_t verified = 0;
    std::uint32_t reads = 0;
    std::int32_t stamped_minute = 0;  // minutes since the epoch: coarse is enough for recency
  };
  using Recency =
      boost::intrusive::list<Entry, boost::intrusive::member_hook<Entry, Hook, &Entry::hook>,
                             boost::intrusive::constant_time_size<false>>;

  Entry& emplace(std::uint64_t id, std::uint64_t bytes, Clock::time_point stamped);

  // Nodes of an unordered_map never move, so the recency list can link them in place.
  std::unordered_map<std::uint64_t, Entry> entries_;
  Recency recency_;  // front: least recently used
  std::uint64_t bytes_ = 0;
};

}  // namespace casserole::disk
