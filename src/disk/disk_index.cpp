#include "disk/disk_index.hpp"

namespace casserole::disk {
namespace {

std::int32_t minute_of(DiskIndex::Clock::time_point when) {
  return static_cast<std::int32_t>(
      std::chrono::duration_cast<std::chrono::minutes>(when.time_since_epoch()).count());
}

}  // namespace

DiskIndex::~DiskIndex() {
  recency_.clear();
}

DiskIndex::Entry& DiskIndex::emplace(std::uint64_t id, std::uint64_t bytes,
                                     Clock::time_point stamped) {
  erase(id);
  Entry& entry = entries_[id];
  entry.id = id;
  entry.bytes = bytes;
  entry.stamped_minute = minute_of(stamped);
  bytes_ += bytes;
  return entry;
}

void DiskIndex::insert(std::uint64_t id, std::uint64_t bytes, Clock::time_point stamped) {
  recency_.push_back(emplace(id, bytes, stamped));
}

void DiskIndex::insert_older(std::uint64_t id, std::uint64_t bytes, Clock::time_point stamped) {
  if (contains(id)) return;
  recency_.push_front(emplace(id, bytes, stamped));
}

std::optional<DiskIndex::Use> DiskIndex::read(std::uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  Entry& entry = it->second;
  recency_.erase(recency_.iterator_to(entry));
  recency_.push_back(entry);
  Use use{entry.reads, Clock::time_point(std::chrono::minutes(entry.stamped_minute))};
  if (entry.reads < UINT32_MAX) ++entry.reads;
  return use;
}

std::uint64_t DiskIndex::verified(std::uint64_t id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? 0 : it->second.verified;
}

void DiskIndex::set_verified(std::uint64_t id, std::uint64_t identity) {
  if (auto it = entries_.find(id); it != entries_.end()) it->second.verified = identity;
}

void DiskIndex::restamp(std::uint64_t id, Clock::time_point when) {
  if (auto it = entries_.find(id); it != entries_.end())
    it->second.stamped_minute = minute_of(when);
}

std::uint64_t DiskIndex::bytes_of(std::uint64_t id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? 0 : it->second.bytes;
}

std::optional<unsigned> DiskIndex::reads(std::uint64_t id) const {
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  return it->second.reads;
}

void DiskIndex::erase(std::uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  recency_.erase(recency_.iterator_to(it->second));
  bytes_ -= it->second.bytes;
  entries_.erase(it);
}

std::vector<std::uint64_t> DiskIndex::evict_to(std::uint64_t target) {
  std::vector<std::uint64_t> victims;
  while (bytes_ > target && !recency_.empty()) {
    victims.push_back(recency_.front().id);
    erase(recency_.front().id);
  }
  return victims;
}

}  // namespace casserole::disk
