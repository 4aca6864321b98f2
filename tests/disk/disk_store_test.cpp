#include "disk/disk_store.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>

#include "disk/entry_files.hpp"
#include "disk/entry_format.hpp"
#include "support/coroutine_testing.hpp"
#include "support/disk_usage.hpp"
#include "support/temp_dir.hpp"

namespace casserole::disk {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::uint64_t kKiB = 1024;

class DiskStoreTest : public ::testing::Test {
 protected:
  // Runs `test` on a fresh store over the test's directory, then waits for its background work.
  void with_store(DiskStore::Options options,
                  std::function<asio::awaitable<void>(DiskStore&)> test) {
    options.dir = dir_.path();
    auto store = std::make_unique<DiskStore>(io_.get_executor(), options);
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          co_await test(*store);
          co_await store->drain(std::chrono::steady_clock::now() + 10s);
        },
        test::rethrow);
    io_.run();
    io_.restart();
  }
  void with_store(std::function<asio::awaitable<void>(DiskStore&)> test) {
    with_store(DiskStore::Options{.dir = {}, .max_usage = 1 << 30, .cleaned_usage = 1 << 29},
               std::move(test));
  }

  // Leaves kSlowScanEntries small entries, named small_entry(i), in the directory: enough that
  // the next store's start-up scan is still going while a test acts on that store.
  static constexpr int kSlowScanEntries = 1000;
  static std::string small_entry(int i) { return "small " + std::to_string(i); }
  void fill_for_a_slow_scan();

  asio::io_context io_;
  test::TempDir dir_;
};

asio::awaitable<void> settle(DiskStore& store) {
  co_await store.drain(std::chrono::steady_clock::now() + 10s);
}

void DiskStoreTest::fill_for_a_slow_scan() {
  with_store([](DiskStore& store) -> asio::awaitable<void> {
    for (int i = 0; i < kSlowScanEntries; ++i) store.store(small_entry(i), "s");
    co_await settle(store);
  });
}

TEST_F(DiskStoreTest, StoredEntriesSurviveReopening) {
  with_store([](DiskStore& store) -> asio::awaitable<void> {
    store.store("meta /a", "{\"status\":200}");
    store.store("seg /a 0", std::string(100 * kKiB, 's'));
    co_await settle(store);
    EXPECT_TRUE(store.may_hold("seg /a 0"));
    EXPECT_FALSE(store.may_hold("seg /a 1"));
  });
  with_store([](DiskStore& store) -> asio::awaitable<void> {
    co_await settle(store);
    EXPECT_TRUE(store.indexed());
    EXPECT_EQ(store.entries(), 2u);
    EXPECT_EQ(co_await store.load("meta /a"), std::optional<std::string>("{\"status\":200}"));
    std::string into(100 * kKiB, '\0');
    EXPECT_TRUE(co_await store.read("seg /a 0", std::as_writable_bytes(std::span(into))));
    EXPECT_EQ(into, std::string(100 * kKiB, 's'));
    auto entry = co_await store.open("seg /a 0");
    EXPECT_TRUE(entry);
    if (entry) {
      EXPECT_EQ(entry->payload_size, 100 * kKiB);
    }
    EXPECT_FALSE(co_await store.open("seg /a 1"));
  });
}

TEST_F(DiskStoreTest, UsageIsWhatTheDirectoryOccupies) {
  with_store([&](DiskStore& store) -> asio::awaitable<void> {
    for (int i = 0; i < 20; ++i) store.store("seg " + std::to_string(i), std::string(30000, 'x'));
    co_await settle(store);
    EXPECT_EQ(store.usage(), test::disk_usage(dir_.path()));
    store.remove("seg 3");
    co_await settle(store);
    EXPECT_EQ(store.usage(), test::disk_usage(dir_.path()));
  });
  with_store([&](DiskStore& store) -> asio::awaitable<void> {
    co_await settle(store);
    EXPECT_EQ(store.usage(), test::disk_usage(dir_.path()));
    EXPECT_EQ(store.entries(), 19u);
  });
}

TEST_F(DiskStoreTest, DirectoriesWrittenWhileTheScanRunsAreCounted) {
  auto fresh = [](int i) { return "fresh " + std::to_string(i); };
  fill_for_a_slow_scan();
  for (int i = 0; i < 20; ++i) {
    char subdir[3];
    std::snprintf(subdir, sizeof subdir, "%02x", EntryFiles::subdirectory_of(entry_id(fresh(i))));
    fs::remove_all(dir_.path() / "entries" / subdir);
  }
  with_store([&](DiskStore& store) -> asio::awaitable<void> {
    for (int i = 0; i < 20; ++i) store.store(fresh(i), "f");
    co_await settle(store);
    EXPECT_EQ(store.usage(), test::disk_usage(dir_.path()));
  });
}

TEST_F(DiskStoreTest, EntriesRemovedWhileTheScanRunsStayRemoved) {
  fill_for_a_slow_scan();
  with_store([&](DiskStore& store) -> asio::awaitable<void> {
    // While the scan is listing them, some before and some after it reaches them.
    for (int i = 0; i < kSlowScanEntries; i += 4) store.remove(small_entry(i));
    co_await settle(store);
    EXPECT_EQ(store.entries(), 750u);
    EXPECT_EQ(store.usage(), test::disk_usage(dir_.path()));
    for (int i = 0; i < kSlowScanEntries; i += 4) {
      EXPECT_FALSE(store.may_hold(small_entry(i))) << small_entry(i);
    }
  });
}

TEST_F(DiskStoreTest, WhatIsStoredIsReadableBeforeItsWriteEnds) {
  with_store([&](DiskStore& store) -> asio::awaitable<void> {
    store.store("meta /a", "{\"status\":200}");
    store.store("seg /a 0", std::string(100 * kKiB, 's'));
    // Nothing has been awaited since: the writes have not even begun.
    EXPECT_EQ(co_await store.load("meta /a"), std::optional<std::string>("{\"status\":200}"));
    std::string into(100 * kKiB, '\0');
    EXPECT_TRUE(co_await store.read("seg /a 0", std::as_writable_bytes(std::span(into))));
    EXPECT_EQ(into, std::string(100 * kKiB, 's'));
    // The latest write of a key is the one read.
    store.store("meta /a", "{\"status\":404}");
    EXPECT_EQ(co_await store.load("meta /a"), std::optional<std::string>("{\"status\":404}"));
  });
}

// Callers ask may_hold() before they load or read: an entry being written must pass that test
// too, or its readers go to the upstream (seen as a second HEAD in the cluster herd test).
TEST_F(DiskStoreTest, WhatIsBeingWrittenMayBeHeld) {
  with_store([&](DiskStore& store) -> asio::awaitable<void> {
    co_await settle(store);
    EXPECT_TRUE(store.indexed()) << "before the scan ends, may_hold() answers yes to all";
    EXPECT_FALSE(store.may_hold("meta /a"));
    store.store("meta /a", "{\"status\":200}");
    EXPECT_TRUE(store.may_hold("meta /a"));
    store.remove("meta /a");
    EXPECT_FALSE(store.may_hold("meta /a"));
  });
}

TEST_F(DiskStoreTest, PassingMaxRemovesLeastRecentlyUsedDownToCleaned) {
  // Room for the directories and about ten 64 KiB entries.
  std::uint64_t base = 0;
  with_store([&](DiskStore& store) -> asio::awaitable<void> {
    co_await settle(store);
    base = store.usage();
  });
  DiskStore::Options options{
      .dir = {}, .max_usage = base + 700 * kKiB, .cleaned_usage = base + 400 * kKiB};
  with_store(options, [&](DiskStore& store) -> asio::awaitable<void> {
    // One at a time: writes finish in any order, and the order they finish in is their recency.
    for (int i = 0; i < 8; ++i) {
      store.store("seg " + std::to_string(i), std::string(64 * kKiB, 'x'));
      co_await settle(store);
    }
    EXPECT_TRUE(co_await store.open("seg 0"));  // now the most recently used
    for (int i = 8; i < 12; ++i) {
      store.store("seg " + std::to_string(i), std::string(64 * kKiB, 'x'));
      co_await settle(store);
    }
    EXPECT_LE(store.usage(), options.max_usage);
    EXPECT_LE(test::disk_usage(dir_.path()), options.max_usage);
    EXPECT_TRUE(store.may_hold("seg 0"));
    EXPECT_TRUE(store.may_hold("seg 11"));
    EXPECT_FALSE(store.may_hold("seg 1"));
    EXPECT_FALSE(store.may_hold("seg 2"));
  });
}

TEST_F(DiskStoreTest, RecencyOrderSurvivesARestart) {
  std::uint64_t usage = 0;
  with_store([&](DiskStore& store) -> asio::awaitable<void> {
    store.store("used long ago", std::string(64 * kKiB, 'o'));
    store.store("used lately", std::string(64 * kKiB, 'n'));
    co_await settle(store);
    usage = store.usage();
  });
  // Only the files' times tell which was used last.
  char name[17];
  std::snprintf(name, sizeof name, "%016llx",
                static_cast<unsigned long long>(entry_id("used long ago")));
  fs::path old_file = dir_.path() / "entries" / std::string(name, 2) / name;
  fs::last_write_time(old_file, fs::last_write_time(old_file) - 1h);
  // Room for two entries, not three; cleaned leaves room for one more directory.
  DiskStore::Options options{
      .dir = {}, .max_usage = usage + 32 * kKiB, .cleaned_usage = usage + 16 * kKiB};
  with_store(options, [&](DiskStore& store) -> asio::awaitable<void> {
    co_await settle(store);
    store.store("new", std::string(64 * kKiB, 'x'));
    co_await settle(store);
    EXPECT_FALSE(store.may_hold("used long ago"));
    EXPECT_TRUE(store.may_hold("used lately"));
    EXPECT_TRUE(store.may_hold("new"));
  });
}

// Promotion to memory is decided by the reads an entry had; one read before the start-up scan
// reaches the entry counts as well.
TEST_F(DiskStoreTest, AReadBeforeTheScanReachesTheEntryCounts) {
  fill_for_a_slow_scan();
  with_store([&](DiskStore& store) -> asio::awaitable<void> {
    store.store("hot", std::string(10000, 'h'));
    co_await settle(store);
  });
  with_store([&](DiskStore& store) -> asio::awaitable<void> {
    EXPECT_TRUE(co_await store.open("hot"));
    co_await settle(store);
    EXPECT_TRUE(store.indexed());
    EXPECT_EQ(store.earlier_reads("hot"), std::optional<unsigned>(1));
  });
}

TEST_F(DiskStoreTest, DamagedEntryReadsAsMissing) {
  with_store([&](DiskStore& store) -> asio::awaitable<void> {
    store.store("seg", std::string(10000, 'x'));
    co_await settle(store);
    for (const auto& file : fs::recursive_directory_iterator(dir_.path() / "entries")) {
      if (file.is_regular_file()) fs::resize_file(file.path(), 9000);
    }
    EXPECT_FALSE(co_await store.open("seg"));
    EXPECT_FALSE(store.may_hold("seg"));
  });
}

TEST_F(DiskStoreTest, SecondStoreOnTheDirectoryIsRefused) {
  DiskStore first(io_.get_executor(),
                  {.dir = dir_.path(), .max_usage = 1 << 20, .cleaned_usage = 0});
  try {
    DiskStore second(io_.get_executor(),
                     {.dir = dir_.path(), .max_usage = 1 << 20, .cleaned_usage = 0});
    ADD_FAILURE() << "a second store opened the directory";
  } catch (const DirectoryInUse& error) {
    EXPECT_NE(std::string(error.what()).find(std::to_string(::getpid())), std::string::npos)
        << error.what();
  }
  io_.run();
}

TEST_F(DiskStoreTest, UnusableDirectoryThrows) {
  std::ofstream(dir_.path() / "file") << "not a directory";
  EXPECT_THROW(
      DiskStore(io_.get_executor(),
                {.dir = dir_.path() / "file" / "cache", .max_usage = 1 << 20, .cleaned_usage = 0}),
      std::system_error);
}

}  // namespace
}  // namespace casserole::disk
