// DiskStore: the disk tier as the I/O thread sees it. Entries (segments, object metadata) are
// files that EntryFiles reads and writes on a small thread pool, so no socket ever waits on the
// disk; the index, the usage accounting and the watermarks live here, on the I/O thread.
//
// Writes are fire-and-forget and atomic, and count against --max-disk-usage from the moment they
// are queued. Passing max-disk-usage removes least recently used entries until usage is under
// cleaned-disk-usage; a full filesystem shrinks usage the same way. Every read is verified (an
// open whose file is unchanged since a verified open trusts that check), and a damaged entry is
// removed and reads as missing. A disk error never fails the caller: a read
// becomes a miss and a write is skipped; each kind of error is counted and logged once.
// Background work refers to the store: destroy it only once drain() finds nothing pending.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "async/signal.hpp"
#include "disk/directory_lock.hpp"
#include "disk/disk_index.hpp"
#include "disk/entry_files.hpp"

namespace casserole::disk {

class DiskStore {
 public:
  struct Options {
    std::filesystem::path dir;
    std::uint64_t max_usage = 0;
    std::uint64_t cleaned_usage = 0;  // at most max_usage
  };

  // Locks and prepares the directory, then indexes what it holds in the background: until that
  // is done, any key may be on disk. Throws DirectoryInUse when another process holds the
  // directory, std::system_error when it cannot be used at all.
  DiskStore(boost::asio::any_io_executor executor, Options options);
  ~DiskStore();
  DiskStore(const DiskStore&) = delete;
  DiskStore& operator=(const DiskStore&) = delete;

  // False only when the entry is known not to be on disk; an entry being written may be held,
  // since load() and read() answer from its payload.
  bool may_hold(const std::string& key) const;
  // How often the entry was read before, when the index knows it.
  std::optional<unsigned> earlier_reads(const std::string& key) const;

  // The entry, verified and open for sending; null when missing or damaged.
  boost::asio::awaitable<std::shared_ptr<const OpenEntry>> open(std::string key);
  // Reads the entry's payload into `into`, which is exactly as large; false when it cannot.
  boost::asio::awaitable<bool> read(std::string key, std::span<std::byte> into);
  // The payload of a small entry (at most 1 MiB), such as object metadata.
  boost::asio::awaitable<std::optional<std::string>> load(std::string key);

  // Writes in the background; `keep_alive` owns `payload` until the write is done. Until then
  // read() and load() answer from `payload`: what was stored is readable at once.
  void store(std::string key, std::span<const std::byte> payload,
             std::shared_ptr<const void> keep_alive);
  void store(std::string key, std::string payload);
  void remove(const std::string& key);

  // Waits until all background work (writes, removals, the start-up indexing) has finished, or
  // the deadline has passed.
  boost::asio::awaitable<void> drain(std::chrono::steady_clock::time_point deadline);

  enum class Failure { read, write, remove, damaged, count };
  struct Stats {
    static constexpr int kFailureKinds = static_cast<int>(Failure::count);
    std::uint64_t hits = 0, misses = 0, writes = 0, evicted = 0;
    std::uint64_t failures[kFailureKinds] = {};  // damaged: a checksum or header mismatch
  };
  const Stats& stats() const { return stats_; }
  static const char* failure_name(int kind);
  // False from a failed read or write until a write succeeds: the disk is failing (gone, read
  // only, I/O errors; a full one is made room on instead), and the node is not fit to take its
  // share of the cluster's traffic.
  bool usable() const { return usable_; }
  const Options& options() const { return options_; }

  // The bytes the entry for `key` takes, as indexed; 0 when none is.
  std::uint64_t entry_bytes(const std::string& key) const;

  bool indexed() const { return indexed_; }
  std::size_t entries() const { return index_.size(); }
  // Bytes under the directory, writes in progress included.
  std::uint64_t usage() const;
  // One line of counters for the log.
  std::string summary() const;

 private:
  // Runs a background job on the I/O thread, counted until it ends.
  void spawn(boost::asio::awaitable<void> job);
  boost::asio::awaitable<void> index_existing();
  boost::asio::awaitable<void> write(std::string key, std::span<const std::byte> payload,
                                     std::shared_ptr<const void> keep_alive, std::uint64_t reserved,
                                     std::uint64_t serial);
  // The payload of the latest write of `key` still in progress, if any.
  std::optional<std::span<const std::byte>> pending(const std::string& key) const;
  // Runs a verifying read on the pool: true when the entry was there and sound; a miss, damage
  // or an error is accounted for here.
  template <class Work>
  boost::asio::awaitable<bool> verified(std::uint64_t id, Work work);
  void found(std::uint64_t id, std::uint64_t allocated);
  // Takes a subdirectory's measured size unless a later measurement has been taken already.
  void measured(unsigned subdir, EntryFiles::DirectorySize size);
  void missing(std::uint64_t id, EntryFiles::Found why);
  // Takes an entry that is being deleted out of the index, and keeps the scan from putting it
  // back from a listing made before the deletion.
  void forget(std::uint64_t id);
  void make_room();
  // Removes least recently used entries until the entries hold at most `entry_bytes`.
  void shrink_to(std::uint64_t entry_bytes);
  void unlink(std::vector<std::uint64_t> ids);
  void failed(Failure kind, const std::exception& error);

  boost::asio::any_io_executor executor_;
  Options options_;
  DirectoryLock lock_;
  EntryFiles files_;
  std::uint64_t block_size_;
  DiskIndex index_;
  bool indexed_ = false;
  std::unordered_set<std::uint64_t> forgotten_while_scanning_;
  struct PendingWrite {
    std::string key;
    std::span<const std::byte> payload;  // owned by the write's keep_alive
    std::uint64_t serial = 0;            // which write of the key it is
  };
  std::unordered_map<std::uint64_t, PendingWrite> pending_;  // by entry id
  std::uint64_t writes_started_ = 0;
  std::uint64_t fixed_bytes_ = 0;
  std::vector<EntryFiles::DirectorySize> dirs_;
  std::uint64_t dir_bytes_ = 0;  // the sum over dirs_
  std::uint64_t reserved_ = 0;
  std::size_t jobs_pending_ = 0;
  async::Signal job_done_;
  Stats stats_;
  bool usable_ = true;
  boost::asio::thread_pool pool_;
};

}  // namespace casserole::disk
