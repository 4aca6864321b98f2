// The disk tier end to end: a node finds its cache again after a restart or a crash, keeps its
// directory between the watermarks by dropping the least recently used entries, never serves a
// corrupted or torn file, refuses a directory another node holds, and falls back to memory and
// the upstream when the disk fails.
//
// The node's files are inspected only through the layout the tier promises (DIR/lock,
// DIR/entries, DIR/tmp; a segment file is a header under 4 KiB followed by the segment's bytes),
// and a segment file is recognised by its bytes, never by its name, so the key format stays free.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include "integration/mirror_fixture.hpp"
#include "support/disk_usage.hpp"
#include "support/ports.hpp"
#include "support/tmpfs_mount.hpp"

namespace casserole::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Disk writes trail the downloads, and sanitized nodes run several to a core under ctest -j4:
// only a failing test waits this long.
constexpr auto kDiskTimeout = std::chrono::milliseconds(30s);
// HttpClient's default is 30 s for the whole transfer: too tight for 100 MiB through a sanitized
// node on a loaded machine.
constexpr long kTransferTimeoutMs = 120000;
constexpr std::uint64_t kMaxHeader = 4096;
constexpr std::uint64_t kMaxMetadata = 16 * 1024;
// Bytes compared at each end of a candidate payload: enough to tell every (object, segment)
// apart, since the pattern differs for every seed and offset.
constexpr std::uint64_t kProbe = 32;

// An object on the origin and the digest a client must receive for it.
struct Object {
  std::string path;
  std::uint64_t seed = 0;
  std::uint64_t size = 0;
  std::string sha256;
};

Object put(NginxMirror& mirror, const std::string& name, std::uint64_t seed, std::uint64_t size) {
  return {mirror.put(name, seed, size), seed, size, pattern_sha256(seed, 0, size)};
}

Response fetch(const std::string& url, std::vector<std::string> headers = {}) {
  HttpClient client;
  return client.perform(Request{.url = url,
                                .headers = std::move(headers),
                                .keep_body = false,
                                .timeout_ms = kTransferTimeoutMs});
}

template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = kDiskTimeout,
                std::chrono::milliseconds interval = 20ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
  return true;
}

// Regular files below `dir`. A tree the node changes meanwhile may give a partial answer, which
// the polling callers simply ask again; final checks run on a quiet node.
std::vector<fs::path> files_under(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code error;
  for (fs::recursive_directory_iterator it(dir, error), end; !error && it != end;
       it.increment(error)) {
    std::error_code ignored;
    if (it->is_regular_file(ignored)) files.push_back(it->path());
  }
  return files;
}

std::uint64_t segment_count(const Object& object, std::uint64_t segment_size) {
  return (object.size + segment_size - 1) / segment_size;
}

std::string pattern_bytes(std::uint64_t seed, std::uint64_t offset, std::uint64_t length) {
  std::string bytes(length, '\0');
  fill_pattern(seed, offset, std::span(reinterpret_cast<std::uint8_t*>(bytes.data()), length));
  return bytes;
}

std::string read_at(std::ifstream& in, std::uint64_t offset, std::uint64_t length) {
  std::string bytes(length, '\0');
  in.clear();
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(bytes.data(), static_cast<std::streamsize>(length));
  return in ? bytes : std::string();
}

// The segments of `object` stored under DIR/entries, by index: a file holds segment i when it is
// the segment's length plus a header of at most 4 KiB long and its payload starts and ends with
// the segment's bytes.
std::map<std::uint64_t, fs::path> segment_files(const fs::path& data, const Object& object,
                                                std::uint64_t segment_size) {
  struct Expected {
    std::uint64_t length;
    std::string head, tail;
  };
  std::vector<Expected> expected;
  for (std::uint64_t i = 0; i < segment_count(object, segment_size); ++i) {
    const std::uint64_t first = i * segment_size;
    const std::uint64_t length = std::min(segment_size, object.size - first);
    const std::uint64_t probe = std::min(kProbe, length);
    expected.push_back({length, pattern_bytes(object.seed, first, probe),
                        pattern_bytes(object.seed, first + length - probe, probe)});
  }
  std::map<std::uint64_t, fs::path> found;
  for (const auto& file : files_under(data / "entries")) {
    std::error_code error;
    const std::uint64_t size = fs::file_size(file, error);
    std::ifstream in(file, std::ios::binary);
    if (error || !in) continue;
    // All segments but the last have one length: each file is read at most twice.
    std::map<std::uint64_t, std::pair<std::string, std::string>> ends_by_length;
    for (std::uint64_t i = 0; i < expected.size(); ++i) {
      const auto& segment = expected[i];
      if (size <= segment.length || size - segment.length > kMaxHeader) continue;
      auto [ends, fresh] = ends_by_length.try_emplace(segment.length);
      if (fresh) {
        ends->second = {read_at(in, size - segment.length, segment.head.size()),
                        read_at(in, size - segment.tail.size(), segment.tail.size())};
      }
      if (ends->second.first == segment.head && ends->second.second == segment.tail) {
        found.emplace(i, file);
      }
    }
  }
  return found;
}

// Every segment of `object` is under DIR/entries and no write is left in DIR/tmp.
bool on_disk(const fs::path& data, const Object& object, std::uint64_t segment_size) {
  return segment_files(data, object, segment_size).size() == segment_count(object, segment_size) &&
         files_under(data / "tmp").empty();
}

// Files under DIR/entries that are neither small enough to be metadata nor a whole segment of
// one of `objects`: what a write that is not atomic leaves under a final name.
std::vector<fs::path> stray_files(const fs::path& data, const std::vector<Object>& objects,
                                  std::uint64_t segment_size) {
  std::set<fs::path> segments;
  for (const auto& object : objects) {
    for (const auto& [index, file] : segment_files(data, object, segment_size)) {
      segments.insert(file);
    }
  }
  std::vector<fs::path> stray;
  for (const auto& file : files_under(data / "entries")) {
    std::error_code error;
    const std::uint64_t size = fs::file_size(file, error);
    if (!error && size >= kMaxMetadata && !segments.contains(file)) stray.push_back(file);
  }
  return stray;
}

// nginx logs a request just after its last byte, so lines counted right after a download can be
// missing. Waiting (bounded) for one line more than the `expected` new ones makes "exactly
// `expected` new upstream requests" a real check, at the price of that wait.
std::vector<AccessLogEntry> new_upstream_requests(const NginxMirror& mirror, std::size_t baseline,
                                                  std::size_t expected) {
  auto log = mirror.origin.wait_for_access_log(baseline + expected + 1);
  return {log.begin() + static_cast<std::ptrdiff_t>(std::min(baseline, log.size())), log.end()};
}

std::size_t count(const std::vector<AccessLogEntry>& entries, const std::string& uri,
                  const std::string& method) {
  return std::count_if(entries.begin(), entries.end(), [&](const AccessLogEntry& entry) {
    return entry.uri == uri && entry.method == method;
  });
}

std::string describe(const std::vector<AccessLogEntry>& entries) {
  std::string text;
  for (const auto& entry : entries) {
    text += "\n  " + entry.method + " " + entry.uri + " " + entry.range + " -> " +
            std::to_string(entry.status);
  }
  return text.empty() ? " none" : text;
}

// How much of a body arrived and how the transfer ended, for a digest that does not match.
std::string received(const Response& response) {
  return "; " + std::to_string(response.body_size) + " bytes received" +
         (response.curl_code != 0 ? ", then " + response.error : std::string());
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void flip_last_byte(const fs::path& file) {
  std::fstream stream(file, std::ios::in | std::ios::out | std::ios::binary);
  stream.seekg(-1, std::ios::end);
  char byte = 0;
  stream.get(byte);
  stream.seekp(-1, std::ios::end);
  stream.put(static_cast<char>(byte ^ 0xFF));
  if (!stream.flush()) throw std::runtime_error("cannot corrupt " + file.string());
}

TEST(Disk, RestartServesFromDiskWithoutUpstreamGet) {
  const std::uint64_t segment = 2 * kMiB;
  NginxMirror mirror({"--disk-cache-enabled=true", "--segment-size=2M", "--max-memory-usage=32M",
                      "--max-disk-usage=1G", "--cleaned-disk-usage=800M"});
  const fs::path data = mirror.node.dir() / "data";
  const Object object = put(mirror, "restart.bin", 21, 100 * kMiB);

  Response cold = fetch(mirror.url(object.path));
  ASSERT_EQ(cold.status, 200) << cold.error;
  ASSERT_EQ(cold.body_sha256, object.sha256) << received(cold);
  ASSERT_TRUE(eventually([&] { return on_disk(data, object, segment); }))
      << segment_files(data, object, segment).size() << " of 50 segments on disk, "
      << files_under(data / "tmp").size() << " files in tmp";
  // Anything beyond the segments and one metadata file is stray or duplicated data.
  EXPECT_EQ(files_under(data / "entries").size(), 51u);
  const std::size_t lines = mirror.origin.wait_for_access_log(51).size();
  ASSERT_EQ(mirror.upstream_requests(object.path, "GET").size(), 50u);

  mirror.node.restart();
  // A range across a segment boundary while memory is still empty: the disk read must skip the
  // file's header and start mid-segment.
  Response part = fetch(mirror.url(object.path), {"Range: bytes=3000000-5000000"});
  EXPECT_EQ(part.status, 206) << part.error;
  EXPECT_EQ(part.body_sha256, pattern_sha256(object.seed, 3000000, 2000001)) << received(part);
  EXPECT_TRUE(contains(part.header("X-Casserole-Source"), "disk"))
      << part.header("X-Casserole-Source");

  Response warm = fetch(mirror.url(object.path));
  ASSERT_EQ(warm.status, 200) << warm.error;
  EXPECT_EQ(warm.body_sha256, object.sha256) << received(warm);
  EXPECT_TRUE(contains(warm.header("X-Casserole-Source"), "disk"))
      << warm.header("X-Casserole-Source");
  // The metadata is still fresh (expires 1h), so not even a HEAD.
  auto after = new_upstream_requests(mirror, lines, 0);
  EXPECT_TRUE(after.empty()) << "upstream requests after the restart:" << describe(after);
}

TEST(Disk, ClientLeavingDuringADiskHitLeavesTheNodeServing) {
  const std::uint64_t segment = 2 * kMiB;
  NginxMirror mirror({"--disk-cache-enabled=true", "--segment-size=2M", "--max-memory-usage=8M",
                      "--max-disk-usage=1G", "--cleaned-disk-usage=800M"});
  const fs::path data = mirror.node.dir() / "data";
  const Object object = put(mirror, "leaving.bin", 22, 64 * kMiB);
  ASSERT_EQ(fetch(mirror.url(object.path)).body_sha256, object.sha256);
  ASSERT_TRUE(eventually([&] { return on_disk(data, object, segment); }));
  mirror.node.restart();

  // Sent with sendfile(2), which cannot be told not to raise SIGPIPE. A client that closes its
  // end with nothing unread sends FIN, not RST: the node's first send after it goes through, the
  // next one finds the connection gone.
  const std::string request = "GET " + object.path + " HTTP/1.1\r\nHost: cache\r\n\r\n";
  for (int i = 0; i < 5; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(mirror.node.port());
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
    ::close(fd);
  }
  std::this_thread::sleep_for(300ms);
  Response after = fetch(mirror.url(object.path));
  EXPECT_EQ(after.status, 200) << after.error << "\nnode log:\n" << mirror.node.log();
  EXPECT_EQ(after.body_sha256, object.sha256);
  EXPECT_TRUE(mirror.node.process().running());
}

TEST(Disk, WatermarksRemoveOldestFirst) {
  const std::uint64_t segment = kMiB;
  const std::uint64_t max_usage = 64 * kMiB;
  NginxMirror mirror({"--disk-cache-enabled=true", "--segment-size=1M", "--max-memory-usage=8M",
                      "--max-disk-usage=64M", "--cleaned-disk-usage=48M"});
  const fs::path data = mirror.node.dir() / "data";
  std::vector<Object> objects;
  for (int i = 0; i < 10; ++i) {
    objects.push_back(put(mirror, "watermark" + std::to_string(i), 40 + i, 10 * kMiB));
  }

  // One at a time, each settled on disk before the next, so that recency follows the index.
  for (const auto& object : objects) {
    Response response = fetch(mirror.url(object.path));
    ASSERT_EQ(response.status, 200) << object.path << ": " << response.error;
    ASSERT_EQ(response.body_sha256, object.sha256) << object.path << received(response);
    ASSERT_TRUE(eventually([&] { return on_disk(data, object, segment); }))
        << object.path << ": " << segment_files(data, object, segment).size()
        << " of 10 segments on disk";
    // Removal may trail the write that passed the mark, but not for long.
    std::uint64_t usage = 0;
    EXPECT_TRUE(eventually([&] { return (usage = disk_usage(data)) <= max_usage; }))
        << "usage " << usage << " bytes after " << object.path;
  }

  std::vector<std::size_t> present;
  std::string summary;
  for (const auto& object : objects) {
    present.push_back(segment_files(data, object, segment).size());
    summary += " " + std::to_string(present.back());
  }
  const std::uint64_t usage = disk_usage(data);
  std::cout << "segments on disk per object, oldest first:" << summary << "; usage " << usage
            << " bytes\n";
  EXPECT_LE(usage, max_usage);
  // Removal stops once under the cleaned mark (48M); even whole objects at a time leave more.
  EXPECT_GE(usage, 32 * kMiB) << "removal went far below --cleaned-disk-usage";
  EXPECT_EQ(present.front(), 0u) << "the oldest object survived:" << summary;
  EXPECT_EQ(present.back(), 10u) << "the newest object lost segments:" << summary;
  for (std::size_t i = 0; i + 1 < present.size(); ++i) {
    EXPECT_LE(present[i], present[i + 1])
        << "object " << i << " outlived the newer object " << i + 1 << ":" << summary;
  }

  // Each cold download: one HEAD and ten ranged GETs.
  const std::size_t lines = mirror.origin.wait_for_access_log(11 * objects.size()).size();
  Response newest = fetch(mirror.url(objects.back().path));
  EXPECT_EQ(newest.status, 200) << newest.error;
  EXPECT_EQ(newest.body_sha256, objects.back().sha256) << received(newest);
  auto after_newest = new_upstream_requests(mirror, lines, 0);
  EXPECT_EQ(count(after_newest, objects.back().path, "GET"), 0u) << describe(after_newest);

  Response oldest = fetch(mirror.url(objects.front().path));
  EXPECT_EQ(oldest.status, 200) << oldest.error;
  EXPECT_EQ(oldest.body_sha256, objects.front().sha256) << received(oldest);
  auto after_oldest = new_upstream_requests(mirror, lines + after_newest.size(), 10);
  EXPECT_EQ(count(after_oldest, objects.front().path, "GET"), 10u)
      << "the evicted object must come from the upstream again:" << describe(after_oldest);
}

TEST(Disk, CorruptedSegmentIsRefetched) {
  const std::uint64_t segment = kMiB;
  NginxMirror mirror({"--disk-cache-enabled=true", "--segment-size=1M", "--max-memory-usage=16M",
                      "--max-disk-usage=1G", "--cleaned-disk-usage=800M"});
  const fs::path data = mirror.node.dir() / "data";
  // A short last segment too, so that the files are not all the same size.
  const Object object = put(mirror, "corrupt.bin", 31, 8 * kMiB + 12345);

  Response cold = fetch(mirror.url(object.path));
  ASSERT_EQ(cold.status, 200) << cold.error;
  ASSERT_EQ(cold.body_sha256, object.sha256) << received(cold);
  ASSERT_TRUE(eventually([&] { return on_disk(data, object, segment); }));
  const std::size_t lines = mirror.origin.wait_for_access_log(10).size();

  // Rot while the node is down, so that the restarted node has only the file to go by.
  mirror.node.process().stop();
  const auto files = segment_files(data, object, segment);
  ASSERT_TRUE(files.contains(3));
  const fs::path victim = files.at(3);
  flip_last_byte(victim);
  mirror.node.restart();

  Response response = fetch(mirror.url(object.path));
  ASSERT_EQ(response.status, 200) << response.error;
  EXPECT_EQ(response.body_sha256, object.sha256) << received(response) << "\nnode log:\n"
                                                 << mirror.node.log();
  // Only "disk" is sure: the header goes out before segment 3 is read and found damaged.
  EXPECT_TRUE(contains(response.header("X-Casserole-Source"), "disk"))
      << response.header("X-Casserole-Source");
  auto after = new_upstream_requests(mirror, lines, 1);
  ASSERT_EQ(after.size(), 1u) << "expected one refetch of segment 3:" << describe(after);
  EXPECT_EQ(after[0].method, "GET");
  EXPECT_EQ(after[0].range, "bytes=3145728-4194303");
  EXPECT_EQ(after[0].status, 206);

  // The refetched segment goes back to disk in place of the corrupted one, so after another
  // restart the object is wholly on disk again.
  EXPECT_TRUE(eventually([&] { return on_disk(data, object, segment); }))
      << segment_files(data, object, segment).size() << " of 9 segments on disk";
  mirror.node.restart();
  Response again = fetch(mirror.url(object.path));
  EXPECT_EQ(again.status, 200) << again.error;
  EXPECT_EQ(again.body_sha256, object.sha256) << received(again);
  auto after_again = new_upstream_requests(mirror, lines + after.size(), 0);
  EXPECT_TRUE(after_again.empty()) << describe(after_again);
}

TEST(Disk, KillDuringWritesNeverServesWrongBytes) {
  const std::uint64_t segment = kMiB;
  NginxMirror mirror({"--disk-cache-enabled=true", "--segment-size=1M", "--max-memory-usage=16M",
                      "--max-disk-usage=1G", "--cleaned-disk-usage=800M"});
  const fs::path data = mirror.node.dir() / "data";
  std::vector<Object> objects;
  int caught_writing = 0;
  constexpr int kRounds = 3;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("kill " + std::to_string(round));
    objects.push_back(put(mirror, "kill" + std::to_string(round), 60 + round, 64 * kMiB));
    const Object object = objects.back();
    const std::size_t files_before = files_under(data / "entries").size();

    Response partial;
    std::thread client([&] { partial = fetch(mirror.url(object.path)); });
    // Disk writes trail the download, so a few finished files mean more are on their way.
    const bool stored =
        eventually([&] { return files_under(data / "entries").size() >= files_before + 4; },
                   kDiskTimeout, 5ms);
    // Better still: a moment when a file is half written, if one shows up soon.
    eventually([&] { return !files_under(data / "tmp").empty(); }, 2s, 1ms);
    mirror.node.process().kill();
    if (!files_under(data / "tmp").empty()) ++caught_writing;
    client.join();
    EXPECT_TRUE(stored) << "no segment reached the disk before the kill";
    EXPECT_EQ(partial.body_sha256, pattern_sha256(object.seed, 0, partial.body_size))
        << "wrong bytes before the kill, " << partial.body_size << " received";
    const auto stray = stray_files(data, objects, segment);
    EXPECT_TRUE(stray.empty()) << "a partial file under a final name: " << stray.front();

    mirror.node.restart();
    EXPECT_TRUE(eventually([&] { return files_under(data / "tmp").empty(); }))
        << "the killed node's partial writes stay in DIR/tmp after a restart";
    for (const auto& cached : objects) {
      Response response = fetch(mirror.url(cached.path));
      EXPECT_EQ(response.status, 200) << cached.path << ": " << response.error;
      EXPECT_EQ(response.body_sha256, cached.sha256) << cached.path << received(response);
    }
    // Settled before the next kill, so that its count of new files is this round's own.
    for (const auto& cached : objects) {
      EXPECT_TRUE(eventually([&] { return on_disk(data, cached, segment); })) << cached.path;
    }
  }
  std::cout << caught_writing << " of " << kRounds << " kills left a file in DIR/tmp\n";
}

TEST(Disk, FullFilesystemKeepsServing) {
  std::optional<TmpfsMount> mount;
  try {
    mount.emplace(6 * kMiB);
  } catch (const std::system_error& error) {
    if (error.code() != std::errc::operation_not_permitted) throw;
    GTEST_SKIP() << "cannot mount a tmpfs here: " << error.what();
  }
  const fs::path data = mount->path() / "cache";
  // --max-disk-usage far above the filesystem's size: only the full disk stops the writes.
  NginxMirror mirror({"--disk-cache-enabled=true", "--disk-cache-dir=" + data.string(),
                      "--segment-size=1M", "--max-memory-usage=8M", "--max-disk-usage=1G",
                      "--cleaned-disk-usage=800M"});
  std::vector<Object> objects;
  for (int i = 0; i < 4; ++i) {
    objects.push_back(put(mirror, "full" + std::to_string(i), 80 + i, 8 * kMiB));
  }
  auto download_all = [&](const std::string& when) {
    for (const auto& object : objects) {
      Response response = fetch(mirror.url(object.path));
      EXPECT_EQ(response.status, 200) << when << ", " << object.path << ": " << response.error;
      EXPECT_EQ(response.body_sha256, object.sha256)
          << when << ", " << object.path << received(response);
    }
  };

  download_all("first pass");
  // Without entries on the tmpfs the disk tier never ran and the passes below prove nothing.
  ASSERT_TRUE(eventually([&] { return !files_under(data / "entries").empty(); }))
      << "nothing was written to " << data;
  std::cout << "tmpfs usage after the first pass: " << disk_usage(mount->path()) << " bytes\n";
  download_all("second pass");
  mirror.node.restart();
  download_all("after a restart on the full filesystem");
}

TEST(Disk, SecondNodeOnSameDirectoryRefuses) {
  NginxMirror mirror({"--disk-cache-enabled=true", "--segment-size=1M", "--max-disk-usage=1G",
                      "--cleaned-disk-usage=800M"});
  const fs::path data = fs::absolute(mirror.node.dir() / "data");
  EXPECT_TRUE(fs::exists(data / "lock"));

  auto [code, output] = CasseroleNode::run_to_exit(
      {"--address=127.0.0.1:" + std::to_string(free_port()), "--mirror-url=" + mirror.origin.url(),
       "--disk-cache-enabled=true", "--disk-cache-dir=" + data.string()});
  EXPECT_GT(code, 0) << output;
  EXPECT_LT(code, 128) << "a crash is not a refusal:\n" << output;
  EXPECT_TRUE(contains(output, "in use")) << output;
  const std::string message = output.substr(0, output.find_last_not_of('\n') + 1);
  EXPECT_FALSE(contains(message, "\n")) << "more than one line:\n" << output;

  // The refused node left the first one's directory and lock alone.
  EXPECT_TRUE(fs::exists(data / "lock"));
  const Object object = put(mirror, "still-served.bin", 51, 3 * kMiB + 7);
  Response response = fetch(mirror.url(object.path));
  EXPECT_EQ(response.status, 200) << response.error;
  EXPECT_EQ(response.body_sha256, object.sha256) << received(response);
}

TEST(Disk, UnusableDirectoryDegradesToMemory) {
  TempDir scratch;
  const fs::path blocker = scratch.path() / "not-a-directory";
  std::ofstream(blocker) << "a regular file where the cache directory's parent should be\n";
  NginxMirror mirror({"--disk-cache-enabled=true",
                      "--disk-cache-dir=" + (blocker / "data").string(), "--segment-size=1M",
                      "--max-memory-usage=16M", "--max-disk-usage=1G",
                      "--cleaned-disk-usage=800M"});
  const Object object = put(mirror, "degraded.bin", 71, 4 * kMiB + 1);

  Response cold = fetch(mirror.url(object.path));
  ASSERT_EQ(cold.status, 200) << cold.error;
  EXPECT_EQ(cold.body_sha256, object.sha256) << received(cold);
  Response warm = fetch(mirror.url(object.path));
  ASSERT_EQ(warm.status, 200) << warm.error;
  EXPECT_EQ(warm.body_sha256, object.sha256) << received(warm);
  EXPECT_EQ(warm.header("X-Casserole-Source"), "memory");
  // The memory tier still holds each segment once fetched.
  EXPECT_EQ(mirror.upstream_requests(object.path, "GET", 6).size(), 5u);
  EXPECT_TRUE(fs::is_regular_file(blocker));
}

}  // namespace
}  // namespace casserole::test
