#include "disk/disk_store.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <iostream>
#include <system_error>

#include "async/offload.hpp"
#include "disk/entry_format.hpp"

namespace casserole::disk {
namespace {

using Clock = std::chrono::system_clock;

// Enough to keep a few reads and writes in flight at once; disks are not made faster by more.
constexpr unsigned kDiskThreads = 4;
constexpr std::size_t kLoadLimit = 1024 * 1024;
// A file records a use in its modification time at most this often: recency across restarts
// need only be approximate, and each record is a metadata write.
constexpr auto kRestampAfter = std::chrono::minutes(10);

bool out_of_space(const std::exception& error) {
  const auto* system = dynamic_cast<const std::system_error*>(&error);
  return system &&
         (system->code() == std::errc::no_space_on_device || system->code().value() == EDQUOT);
}

}  // namespace

DiskStore::DiskStore(boost::asio::any_io_executor executor, Options options)
    : executor_(std::move(executor)),
      options_(std::move(options)),
      lock_(options_.dir),
      files_(options_.dir),
      block_size_(files_.block_size()),
      dirs_(EntryFiles::kSubdirectories),
      pool_(kDiskThreads) {
  files_.prepare();
  spawn(index_existing());
}

void DiskStore::spawn(boost::asio::awaitable<void> job) {
  ++jobs_pending_;
  boost::asio::co_spawn(executor_, std::move(job), [this](std::exception_ptr) {
    --jobs_pending_;
    job_done_.notify_all();
  });
}

DiskStore::~DiskStore() {
  pool_.stop();
  pool_.join();
}

boost::asio::awaitable<void> DiskStore::index_existing() {
  auto started = std::chrono::steady_clock::now();
  EntryFiles::Scan scan;
  try {
    scan = co_await async::offload(pool_, [this] { return files_.scan(); });
  } catch (const std::exception& error) {
    failed(Failure::read, error);
  }
  // Newest first, each added as older than the ones before it: the oldest ends least recent.
  std::sort(scan.entries.begin(), scan.entries.end(),
            [](const auto& a, const auto& b) { return a.used > b.used; });
  for (const auto& entry : scan.entries) {
    if (!forgotten_while_scanning_.contains(entry.id)) {
      index_.insert_older(entry.id, entry.allocated, entry.used);
    }
  }
  forgotten_while_scanning_.clear();
  fixed_bytes_ = scan.fixed_allocated;
  for (unsigned i = 0; i < scan.dirs.size(); ++i) measured(i, scan.dirs[i]);
  indexed_ = true;
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  std::cerr << "casserole: disk cache " << options_.dir.string() << ": " << index_.size()
            << " entries, " << index_.bytes() / (1024 * 1024) << " MiB, indexed in " << took.count()
            << " ms" << std::endl;
  make_room();
}

bool DiskStore::may_hold(const std::string& key) const {
  const std::uint64_t id = entry_id(key);
  return !indexed_ || index_.contains(id) || pending_.contains(id);
}

std::uint64_t DiskStore::entry_bytes(const std::string& key) const {
  return index_.bytes_of(entry_id(key));
}

std::optional<unsigned> DiskStore::earlier_reads(const std::string& key) const {
  return index_.reads(entry_id(key));
}

template <class Work>
boost::asio::awaitable<bool> DiskStore::verified(std::uint64_t id, Work work) {
  auto found = EntryFiles::Found::absent;
  try {
    found = co_await async::offload(pool_, std::move(work));
  } catch (const std::exception& error) {
    failed(Failure::read, error);
  }
  if (found == EntryFiles::Found::yes) co_return true;
  missing(id, found);
  co_return false;
}

boost::asio::awaitable<std::shared_ptr<const OpenEntry>> DiskStore::open(std::string key) {
  std::uint64_t id = entry_id(key);
  auto entry = std::make_shared<OpenEntry>();
  // A file verified since this process started, and unchanged since, is not read through again:
  // the checksum pass cost a hot object that lives on disk 40% of its speed.
  const std::uint64_t trusted = index_.verified(id);
  bool ok = co_await verified(id, [this, id, &key, out = entry.get(), trusted] {
    return files_.open(id, key, *out, trusted);
  });
  if (!ok) co_return nullptr;
  found(id, entry->allocated);
  index_.set_verified(id, entry->identity);
  co_return entry;
}

std::optional<std::span<const std::byte>> DiskStore::pending(const std::string& key) const {
  auto it = pending_.find(entry_id(key));
  if (it == pending_.end() || it->second.key != key) return std::nullopt;
  return it->second.payload;
}

boost::asio::awaitable<bool> DiskStore::read(std::string key, std::span<std::byte> into) {
  if (auto payload = pending(key); payload && payload->size() == into.size()) {
    std::copy(payload->begin(), payload->end(), into.begin());
    co_return true;
  }
  std::uint64_t id = entry_id(key);
  bool ok = co_await verified(id, [this, id, &key, into] { return files_.read(id, key, into); });
  // The index learns the size when the scan or the write reports it.
  if (ok) found(id, 0);
  co_return ok;
}

boost::asio::awaitable<std::optional<std::string>> DiskStore::load(std::string key) {
  if (auto payload = pending(key); payload && payload->size() <= kLoadLimit) {
    co_return std::string(reinterpret_cast<const char*>(payload->data()), payload->size());
  }
  std::uint64_t id = entry_id(key);
  std::string payload;
  bool ok = co_await verified(
      id, [this, id, &key, out = &payload] { return files_.load(id, key, kLoadLimit, *out); });
  if (!ok) co_return std::nullopt;
  found(id, 0);
  co_return payload;
}

void DiskStore::found(std::uint64_t id, std::uint64_t allocated) {
  ++stats_.hits;
  auto now = Clock::now();
  std::optional<DiskIndex::Use> use = index_.read(id);
  if (!use) {
    // Found before the start-up scan reached it; this read counts towards promotion too.
    if (allocated > 0) {
      index_.insert(id, allocated, now);
      index_.read(id);
    }
    return;
  }
  if (now - use->stamped < kRestampAfter) return;
  index_.restamp(id, now);
  spawn([](DiskStore* self, std::uint64_t id) -> boost::asio::awaitable<void> {
    try {
      co_await async::offload(self->pool_, [self, id] { self->files_.touch(id); });
    } catch (const std::exception& error) {
      self->failed(Failure::write, error);
    }
  }(this, id));
}

void DiskStore::forget(std::uint64_t id) {
  index_.erase(id);
  if (!indexed_) forgotten_while_scanning_.insert(id);
}

void DiskStore::missing(std::uint64_t id, EntryFiles::Found why) {
  ++stats_.misses;
  forget(id);
  if (why == EntryFiles::Found::damaged) {
    failed(Failure::damaged, std::runtime_error("checksum or header mismatch; removed"));
  }
}

void DiskStore::store(std::string key, std::string payload) {
  auto owned = std::make_shared<const std::string>(std::move(payload));
  std::span<const std::byte> bytes = std::as_bytes(std::span(owned->data(), owned->size()));
  store(std::move(key), bytes, std::move(owned));
}

void DiskStore::store(std::string key, std::span<const std::byte> payload,
                      std::shared_ptr<const void> keep_alive) {
  if (key.size() > EntryHeader::kMaxKeySize) return;
  std::uint64_t size = EntryHeader::kFixedSize + key.size() + payload.size();
  std::uint64_t reserved = (size + block_size_ - 1) / block_size_ * block_size_;
  if (reserved > options_.cleaned_usage) return;
  reserved_ += reserved;
  make_room();
  const std::uint64_t serial = ++writes_started_;
  pending_[entry_id(key)] = PendingWrite{key, payload, serial};
  spawn(write(std::move(key), payload, std::move(keep_alive), reserved, serial));
}

boost::asio::awaitable<void> DiskStore::write(std::string key, std::span<const std::byte> payload,
                                              std::shared_ptr<const void> keep_alive,
                                              std::uint64_t reserved, std::uint64_t serial) {
  std::uint64_t id = entry_id(key);
  std::optional<EntryFiles::Written> written;
  bool full = false;
  try {
    written = co_await async::offload(
        pool_, [this, id, &key, payload] { return files_.write(id, key, payload); });
  } catch (const std::exception& error) {
    full = out_of_space(error);
    if (!full) usable_ = false;
    failed(Failure::write, error);
  }
  if (auto it = pending_.find(id); it != pending_.end() && it->second.serial == serial) {
    pending_.erase(it);
  }
  // Released here, on the I/O thread: the owner may be a segment whose memory charge must be
  // handed back on this thread.
  keep_alive.reset();
  reserved_ -= reserved;
  if (written) {
    ++stats_.writes;
    usable_ = true;
    index_.insert(id, written->allocated, Clock::now());
    measured(EntryFiles::subdirectory_of(id), written->dir);
    make_room();
  } else if (full && indexed_) {
    // The filesystem holds less than --max-disk-usage allows: make room as if that were the max.
    double ratio = static_cast<double>(options_.cleaned_usage) /
                   static_cast<double>(std::max<std::uint64_t>(options_.max_usage, 1));
    shrink_to(static_cast<std::uint64_t>(static_cast<double>(index_.bytes()) * ratio));
  }
}

void DiskStore::remove(const std::string& key) {
  std::uint64_t id = entry_id(key);
  pending_.erase(id);
  if (!may_hold(key)) return;
  forget(id);
  unlink({id});
}

void DiskStore::measured(unsigned subdir, EntryFiles::DirectorySize size) {
  EntryFiles::DirectorySize& known = dirs_[subdir];
  if (size.measured <= known.measured) return;
  dir_bytes_ += size.allocated - known.allocated;
  known = size;
}

std::uint64_t DiskStore::usage() const {
  return fixed_bytes_ + dir_bytes_ + index_.bytes() + reserved_;
}

void DiskStore::make_room() {
  if (!indexed_ || usage() <= options_.max_usage) return;
  std::uint64_t other = usage() - index_.bytes();
  shrink_to(options_.cleaned_usage > other ? options_.cleaned_usage - other : 0);
}

void DiskStore::shrink_to(std::uint64_t entry_bytes) {
  std::vector<std::uint64_t> victims = index_.evict_to(entry_bytes);
  stats_.evicted += victims.size();
  unlink(std::move(victims));
}

void DiskStore::unlink(std::vector<std::uint64_t> ids) {
  if (ids.empty()) return;
  spawn([](DiskStore* self, std::vector<std::uint64_t> ids) -> boost::asio::awaitable<void> {
    try {
      co_await async::offload(self->pool_, [self, &ids] {
        for (std::uint64_t id : ids) self->files_.remove(id);
      });
    } catch (const std::exception& error) {
      self->failed(Failure::remove, error);
    }
  }(this, std::move(ids)));
}

boost::asio::awaitable<void> DiskStore::drain(std::chrono::steady_clock::time_point deadline) {
  while (jobs_pending_ > 0 && std::chrono::steady_clock::now() < deadline) {
    co_await job_done_.wait_until(deadline);
  }
}

void DiskStore::failed(Failure kind, const std::exception& error) {
  auto index = static_cast<int>(kind);
  // A failed read says the disk itself is failing; write() says so of a failed write unless the
  // disk is only full, which is made room on instead.
  if (kind == Failure::read) usable_ = false;
  if (stats_.failures[index]++ == 0) {
    std::cerr << "casserole: disk cache " << failure_name(index) << " error: " << error.what()
              << " (serving from memory and upstream instead; further " << failure_name(index)
              << " errors are counted, not logged)" << std::endl;
  }
}

const char* DiskStore::failure_name(int kind) {
  static constexpr const char* kNames[] = {"read", "write", "remove", "damaged"};
  return kNames[kind];
}

std::string DiskStore::summary() const {
  std::string line = "disk cache: " + std::to_string(index_.size()) + " entries, " +
                     std::to_string(usage() / (1024 * 1024)) + " MiB; " +
                     std::to_string(stats_.hits) + " hits, " + std::to_string(stats_.misses) +
                     " misses, " + std::to_string(stats_.writes) + " writes, " +
                     std::to_string(stats_.evicted) + " evicted";
  for (int i = 0; i < Stats::kFailureKinds; ++i) {
    line += ", " + std::to_string(stats_.failures[i]) + " " + failure_name(i) + " errors";
  }
  return line;
}

}  // namespace casserole::disk
