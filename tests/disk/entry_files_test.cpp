#include "disk/entry_files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "disk/entry_format.hpp"
#include "support/temp_dir.hpp"

namespace casserole::disk {
namespace {

namespace fs = std::filesystem;

std::span<const std::byte> bytes_of(const std::string& text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

std::string payload(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>(i * 13 + i / 7);
  return out;
}

class EntryFilesTest : public ::testing::Test {
 protected:
  void SetUp() override { files_.prepare(); }

  fs::path only_entry() const {
    for (const auto& file : fs::recursive_directory_iterator(dir_.path() / "entries")) {
      if (file.is_regular_file()) return file.path();
    }
    return {};
  }
  void put(const std::string& key, const std::string& bytes) {
    files_.write(entry_id(key), key, bytes_of(bytes));
  }

  test::TempDir dir_;
  EntryFiles files_{dir_.path()};
};

TEST_F(EntryFilesTest, WrittenEntryReadsBackEveryWay) {
  std::string data = payload(300000);
  auto written = files_.write(entry_id("k"), "k", bytes_of(data));
  EXPECT_GE(written.allocated, data.size());
  EXPECT_GT(written.dir.allocated, 0u);
  EXPECT_TRUE(fs::is_empty(dir_.path() / "tmp"));

  OpenEntry entry;
  ASSERT_EQ(files_.open(entry_id("k"), "k", entry), EntryFiles::Found::yes);
  EXPECT_EQ(entry.payload_size, data.size());
  EXPECT_EQ(entry.allocated, written.allocated);
  std::string sent(data.size(), '\0');
  ASSERT_EQ(
      ::pread(entry.file.get(), sent.data(), sent.size(), static_cast<off_t>(entry.payload_offset)),
      static_cast<ssize_t>(sent.size()));
  EXPECT_EQ(sent, data);

  std::string into(data.size(), '\0');
  EXPECT_EQ(files_.read(entry_id("k"), "k", std::as_writable_bytes(std::span(into))),
            EntryFiles::Found::yes);
  EXPECT_EQ(into, data);

  std::string loaded;
  EXPECT_EQ(files_.load(entry_id("k"), "k", data.size(), loaded), EntryFiles::Found::yes);
  EXPECT_EQ(loaded, data);
  EXPECT_EQ(files_.load(entry_id("k"), "k", 100, loaded), EntryFiles::Found::damaged);
}

TEST_F(EntryFilesTest, AVerifiedFileIsTrustedOnlyWhileUnchanged) {
  std::string data = payload(5000);
  put("k", data);
  OpenEntry first;
  ASSERT_EQ(files_.open(entry_id("k"), "k", first), EntryFiles::Found::yes);
  ASSERT_NE(first.identity, 0u);
  OpenEntry again;
  ASSERT_EQ(files_.open(entry_id("k"), "k", again, first.identity), EntryFiles::Found::yes);
  EXPECT_EQ(again.identity, first.identity);

  // Rewritten in place, same size, same modification time: the change time still tells.
  fs::path file = only_entry();
  const auto modified = fs::last_write_time(file);
  {
    std::fstream stream(file, std::ios::in | std::ios::out | std::ios::binary);
    stream.seekp(-100, std::ios::end);
    stream.put('\x7f');
  }
  fs::last_write_time(file, modified);
  OpenEntry trusted_wrongly;
  EXPECT_EQ(files_.open(entry_id("k"), "k", trusted_wrongly, first.identity),
            EntryFiles::Found::damaged);
}

TEST_F(EntryFilesTest, MissingEntryIsAbsent) {
  OpenEntry entry;
  EXPECT_EQ(files_.open(entry_id("nothing"), "nothing", entry), EntryFiles::Found::absent);
}

TEST_F(EntryFilesTest, FlippedPayloadByteIsDamagedAndRemoved) {
  put("k", payload(5000));
  fs::path file = only_entry();
  {
    std::fstream stream(file, std::ios::in | std::ios::out | std::ios::binary);
    stream.seekp(-100, std::ios::end);
    stream.put('\x7f');
  }
  OpenEntry entry;
  EXPECT_EQ(files_.open(entry_id("k"), "k", entry), EntryFiles::Found::damaged);
  EXPECT_FALSE(fs::exists(file));
}

TEST_F(EntryFilesTest, TruncatedEntryIsDamaged) {
  put("k", payload(5000));
  fs::resize_file(only_entry(), 3000);
  std::string into(5000, '\0');
  EXPECT_EQ(files_.read(entry_id("k"), "k", std::as_writable_bytes(std::span(into))),
            EntryFiles::Found::damaged);
}

TEST_F(EntryFilesTest, AnotherKeyUnderTheSameIdIsNotServed) {
  // Written under the id of "wanted", as a hash collision would.
  files_.write(entry_id("wanted"), "other", bytes_of(payload(100)));
  OpenEntry entry;
  EXPECT_EQ(files_.open(entry_id("wanted"), "wanted", entry), EntryFiles::Found::absent);
  EXPECT_FALSE(only_entry().empty());
}

TEST_F(EntryFilesTest, ScanFindsEntriesAndRemovesStrayFiles) {
  put("a", payload(100));
  put("b", payload(9000));
  fs::path stray = only_entry().parent_path() / "not-an-entry";
  std::ofstream(stray) << "junk";
  EntryFiles::Scan scan = files_.scan();
  ASSERT_EQ(scan.entries.size(), 2u);
  std::uint64_t total = 0;
  for (const auto& entry : scan.entries) {
    EXPECT_TRUE(entry.id == entry_id("a") || entry.id == entry_id("b"));
    total += entry.allocated;
  }
  EXPECT_GE(total, 9100u);
  EXPECT_GT(scan.fixed_allocated, 0u);
  EXPECT_FALSE(fs::exists(stray));
}

TEST_F(EntryFilesTest, LaterMeasurementsHaveLaterOrders) {
  auto first = files_.write(entry_id("a"), "a", bytes_of(payload(10)));
  EntryFiles::Scan scan = files_.scan();
  auto second = files_.write(entry_id("b"), "b", bytes_of(payload(10)));
  EXPECT_GT(first.dir.measured, 0u);
  for (const auto& dir : scan.dirs) {
    EXPECT_GT(dir.measured, first.dir.measured);
    EXPECT_LT(dir.measured, second.dir.measured);
  }
}

TEST_F(EntryFilesTest, PrepareClearsInterruptedWrites) {
  std::ofstream(dir_.path() / "tmp" / "0123456789abcdef.7") << "half a segment";
  files_.prepare();
  EXPECT_TRUE(fs::is_empty(dir_.path() / "tmp"));
}

TEST_F(EntryFilesTest, RemovedEntryIsAbsent) {
  put("k", payload(10));
  files_.remove(entry_id("k"));
  files_.remove(entry_id("k"));
  OpenEntry entry;
  EXPECT_EQ(files_.open(entry_id("k"), "k", entry), EntryFiles::Found::absent);
}

}  // namespace
}  // namespace casserole::disk
