#include "disk/entry_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <memory>
#include <optional>
#include <system_error>

#include "disk/entry_format.hpp"

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

namespace casserole::disk {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

std::string hex(std::uint64_t value, int digits) {
  std::array<char, 17> text{};
  std::snprintf(text.data(), text.size(), "%0*llx", digits, static_cast<unsigned long long>(value));
  return text.data();
}

std::optional<std::uint64_t> parse_hex(std::string_view text, std::size_t digits) {
  std::uint64_t value = 0;
  if (text.size() != digits) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::uint64_t allocated(const struct stat& st) {
  return static_cast<std::uint64_t>(st.st_blocks) * 512;
}

std::uint64_t allocated(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw_errno("stat " + path.string());
  return allocated(st);
}

void write_all(int fd, std::span<const std::byte> bytes, off_t offset, const std::string& what) {
  while (!bytes.empty()) {
    ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw_errno("write " + what);
    bytes = bytes.subspan(static_cast<std::size_t>(n));
    offset += n;
  }
}

// True when all of `into` was read; false at a premature end of file.
bool read_all(int fd, std::span<std::byte> into, off_t offset, const std::string& what) {
  while (!into.empty()) {
    ssize_t n = ::pread(fd, into.data(), into.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read " + what);
    if (n == 0) return false;
    into = into.subspan(static_cast<std::size_t>(n));
    offset += n;
  }
  return true;
}

// Everything that changes when a file's bytes change (ctime cannot be set back by anyone), hashed.
std::uint64_t identity_of(const struct stat& st) {
  const std::array<std::int64_t, 7> fields{static_cast<std::int64_t>(st.st_dev),
                                           static_cast<std::int64_t>(st.st_ino),
                                           static_cast<std::int64_t>(st.st_size),
                                           st.st_mtim.tv_sec,
                                           st.st_mtim.tv_nsec,
                                           st.st_ctim.tv_sec,
                                           st.st_ctim.tv_nsec};
  return XXH3_64bits(fields.data(), sizeof fields);
}

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

}  // namespace

EntryFiles::EntryFiles(std::filesystem::path dir)
    : dir_(std::move(dir)), entries_(dir_ / "entries"), tmp_(dir_ / "tmp") {}

std::filesystem::path EntryFiles::path_of(std::uint64_t id) const {
  return entries_ / hex(subdirectory_of(id), 2) / hex(id, 16);
}

std::uint64_t EntryFiles::block_size() const {
  struct statvfs vfs {};
  if (::statvfs(dir_.c_str(), &vfs) != 0 || vfs.f_frsize == 0) return 4096;
  return vfs.f_frsize;
}

void EntryFiles::prepare() const {
  std::filesystem::create_directories(entries_);
  std::filesystem::remove_all(tmp_);
  std::filesystem::create_directories(tmp_);
}

EntryFiles::Written EntryFiles::write(std::uint64_t id, std::string_view key,
                                      std::span<const std::byte> payload) const {
  std::string header = encode_header(EntryHeader{
      .key = std::string(key),
      .payload_size = payload.size(),
      .payload_checksum = Checksum::of(payload),
  });
  std::filesystem::path tmp = tmp_ / (hex(id, 16) + "." + std::to_string(next_tmp_++));
  Written written;
  try {
    FileDescriptor file(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!file) throw_errno("create " + tmp.string());
    write_all(file.get(), bytes_of(header), 0, tmp.string());
    write_all(file.get(), payload, static_cast<off_t>(header.size()), tmp.string());
    struct stat st {};
    if (::fstat(file.get(), &st) != 0) throw_errno("stat " + tmp.string());
    written.allocated = allocated(st);
    std::filesystem::path path = path_of(id);
    if (::mkdir(path.parent_path().c_str(), 0755) != 0 && errno != EEXIST) {
      throw_errno("mkdir " + path.parent_path().string());
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) throw_errno("rename to " + path.string());
    written.dir.measured = next_measurement();
    written.dir.allocated = allocated(path.parent_path());
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  return written;
}

EntryFiles::Found EntryFiles::discard(std::uint64_t id) const {
  ::unlink(path_of(id).c_str());
  return Found::damaged;
}

EntryFiles::Found EntryFiles::locate(std::uint64_t id, std::string_view key,
                                     Located& located) const {
  std::filesystem::path path = path_of(id);
  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) {
    if (errno == ENOENT || errno == ENOTDIR) return Found::absent;
    throw_errno("open " + path.string());
  }
  struct stat st {};
  if (::fstat(file.get(), &st) != 0) throw_errno("stat " + path.string());
  auto size = static_cast<std::uint64_t>(st.st_size);
  std::vector<std::byte> head(std::min<std::uint64_t>(size, EntryHeader::kFixedSize + key.size()));
  if (!read_all(file.get(), head, 0, path.string())) return discard(id);
  std::optional<EntryHeader> header = parse_header(head);
  if (!header) return discard(id);
  // Another key with the same id: a sound entry, only not this one.
  if (header->key != key) return Found::absent;
  if (header->payload_offset() + header->payload_size != size) return discard(id);
  located.file = std::move(file);
  located.header = std::move(*header);
  located.allocated = allocated(st);
  located.identity = identity_of(st);
  return Found::yes;
}

EntryFiles::Found EntryFiles::open(std::uint64_t id, std::string_view key, OpenEntry& entry,
                                   std::uint64_t verified) const {
  Located located;
  if (Found found = locate(id, key, located); found != Found::yes) return found;
  if (located.identity != verified && !payload_intact(id, located)) return discard(id);
  entry.file = std::move(located.file);
  entry.payload_offset = located.header.payload_offset();
  entry.payload_size = located.header.payload_size;
  entry.allocated = located.allocated;
  entry.identity = located.identity;
  return Found::yes;
}

bool EntryFiles::payload_intact(std::uint64_t id, const Located& located) const {
  // Verified in pieces: the payload is not copied into memory, only read through to the checksum
  // (which also warms the page cache for the send that follows).
  constexpr std::size_t kPiece = 256 * 1024;
  auto piece = std::make_unique_for_overwrite<std::byte[]>(kPiece);
  Checksum checksum;
  std::uint64_t offset = located.header.payload_offset();
  for (std::uint64_t left = located.header.payload_size; left > 0;) {
    std::span<std::byte> into(piece.get(), std::min<std::uint64_t>(left, kPiece));
    if (!read_all(located.file.get(), into, static_cast<off_t>(offset), path_of(id).string())) {
      return false;
    }
    checksum.update(into);
    offset += into.size();
    left -= into.size();
  }
  return checksum.value() == located.header.payload_checksum;
}

EntryFiles::Found EntryFiles::read(std::uint64_t id, std::string_view key,
                                   std::span<std::byte> into) const {
  Located located;
  if (Found found = locate(id, key, located); found != Found::yes) return found;
  if (located.header.payload_size != into.size() ||
      !read_all(located.file.get(), into, static_cast<off_t>(located.header.payload_offset()),
                path_of(id).string()) ||
      Checksum::of(into) != located.header.payload_checksum) {
    return discard(id);
  }
  return Found::yes;
}

EntryFiles::Found EntryFiles::load(std::uint64_t id, std::string_view key, std::size_t limit,
                                   std::string& into) const {
  Located located;
  if (Found found = locate(id, key, located); found != Found::yes) return found;
  if (located.header.payload_size > limit) return discard(id);
  into.resize(located.header.payload_size);
  auto bytes = std::as_writable_bytes(std::span(into.data(), into.size()));
  if (!read_all(located.file.get(), bytes, static_cast<off_t>(located.header.payload_offset()),
                path_of(id).string()) ||
      Checksum::of(bytes) != located.header.payload_checksum) {
    return discard(id);
  }
  return Found::yes;
}

void EntryFiles::remove(std::uint64_t id) const {
  std::filesystem::path path = path_of(id);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno("remove " + path.string());
}

void EntryFiles::touch(std::uint64_t id) const {
  std::filesystem::path path = path_of(id);
  if (::utimensat(AT_FDCWD, path.c_str(), nullptr, 0) != 0 && errno != ENOENT) {
    throw_errno("touch " + path.string());
  }
}

EntryFiles::Scan EntryFiles::scan() const {
  Scan scan;
  // One order for the whole scan, taken before the listing: a write measured after it may have
  // renamed an entry the listing missed, so its measurement wins.
  scan.dirs.assign(kSubdirectories, DirectorySize{.allocated = 0, .measured = next_measurement()});
  scan.fixed_allocated = allocated(dir_) + allocated(entries_) + allocated(tmp_);
  if (struct stat st{}; ::stat((dir_ / "lock").c_str(), &st) == 0) {
    scan.fixed_allocated += allocated(st);
  }
  for (const auto& sub : std::filesystem::directory_iterator(entries_)) {
    std::string name = sub.path().filename().string();
    std::optional<std::uint64_t> index = parse_hex(name, 2);
    if (!index || !sub.is_directory()) {
      std::filesystem::remove_all(sub.path());
      continue;
    }
    std::unique_ptr<DIR, int (*)(DIR*)> listing(::opendir(sub.path().c_str()), ::closedir);
    if (!listing) throw_errno("list " + sub.path().string());
    int dir_fd = ::dirfd(listing.get());
    struct stat dir_stat {};
    if (::fstat(dir_fd, &dir_stat) != 0) throw_errno("stat " + sub.path().string());
    scan.dirs[*index].allocated = allocated(dir_stat);
    while (const dirent* file = ::readdir(listing.get())) {
      std::string_view file_name(file->d_name);
      if (file_name == "." || file_name == "..") continue;
      std::optional<std::uint64_t> id = parse_hex(file_name, 16);
      struct stat st {};
      if (::fstatat(dir_fd, file->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (!id || subdirectory_of(*id) != *index || !S_ISREG(st.st_mode)) {
        std::filesystem::remove_all(sub.path() / file_name);
        continue;
      }
      scan.entries.push_back(Scanned{
          .id = *id,
          .allocated = allocated(st),
          .used = std::chrono::system_clock::time_point(
              std::chrono::duration_cast<std::chrono::system_clock::duration>(
                  std::chrono::seconds(st.st_mtim.tv_sec) +
                  std::chrono::nanoseconds(st.st_mtim.tv_nsec))),
      });
    }
  }
  return scan;
}

}  // namespace casserole::disk
