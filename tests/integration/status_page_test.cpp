// The status page as a browser shows it: what a node's `/status` reports is what its page says,
// and the page's script renders what one node alone never reports (peers, fetches in flight).
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string_view>
#include <thread>

#include "admin/status_page.hpp"
#include "integration/mirror_fixture.hpp"
#include "support/chromium.hpp"
#include "support/ports.hpp"

namespace casserole::test {
namespace {

// The text of the element whose start tag begins at `open` (a '<'), as a reader sees it: tags
// left out, and the entities Chromium's serialiser writes decoded.
std::string element_text(std::string_view dom, std::size_t open) {
  const std::size_t name_end = dom.find_first_of(" >", open);
  const std::string name(dom.substr(open + 1, name_end - open - 1));
  std::string text;
  int depth = 0;
  for (std::size_t at = open; at < dom.size();) {
    if (dom[at] != '<') {
      const std::size_t next = std::min(dom.find('<', at), dom.size());
      text.append(dom.substr(at, next - at));
      at = next;
      continue;
    }
    const std::size_t close = dom.find('>', at);
    const std::string_view tag = dom.substr(at, close + 1 - at);
    if (tag == "</" + name + ">") {
      if (--depth == 0) break;
    } else if (tag.starts_with("<" + name + " ") || tag == "<" + name + ">") {
      ++depth;
    }
    at = close + 1;
  }
  // &amp; last, so that "&amp;lt;" stays "&lt;".
  constexpr std::pair<std::string_view, std::string_view> kEntities[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&nbsp;", "\u00a0"}, {"&amp;", "&"}};
  for (const auto& [entity, character] : kEntities) {
    for (std::size_t at = 0; (at = text.find(entity, at)) != std::string::npos;) {
      text.replace(at, entity.size(), character);
      at += character.size();
    }
  }
  return text;
}

// The text of the element with `id`; fails the test and returns "" if there is none.
std::string text_of(std::string_view dom, const std::string& id) {
  const std::size_t attribute = dom.find(" id=\"" + id + "\"");
  if (attribute == std::string_view::npos) {
    ADD_FAILURE() << "no element with id " << id;
    return "";
  }
  return element_text(dom, dom.rfind('<', attribute));
}

// The text of every table row of `row_class`, in document order.
std::vector<std::string> rows_of(std::string_view dom, const std::string& row_class) {
  std::vector<std::string> rows;
  const std::string start = "<tr class=\"" + row_class + "\"";
  for (std::size_t at = dom.find(start); at != std::string_view::npos;
       at = dom.find(start, at + 1)) {
    rows.push_back(element_text(dom, at));
  }
  return rows;
}

bool any_starts_with(const std::vector<std::string>& rows, std::string_view prefix) {
  return std::ranges::any_of(rows, [&](const std::string& row) { return row.starts_with(prefix); });
}

void write_file(const std::filesystem::path& path, std::string_view content) {
  std::ofstream(path, std::ios::binary) << content;
}

// The node's `/status` once it has counted `requests` requests (counting may trail the last
// byte a client read); fails the test if it never does.
boost::json::object status_after(const std::string& admin_url, std::int64_t requests) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    const Response response = http_get(admin_url + "/status");
    EXPECT_EQ(response.status, 200) << response.error;
    auto status = boost::json::parse(response.body).as_object();
    if (status.at("traffic").at("requests").to_number<std::int64_t>() >= requests ||
        std::chrono::steady_clock::now() >= deadline) {
      EXPECT_GE(status.at("traffic").at("requests").to_number<std::int64_t>(), requests);
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

TEST(StatusPage, ShowsWhatTheNodeReportsAboutItsVersionTrafficMemoryAndObjects) {
  const std::uint16_t admin_port = free_port();
  const std::string admin_url = "http://127.0.0.1:" + std::to_string(admin_port);
  NginxMirror mirror({"--segment-size=1M", "--max-memory-usage=64M", "--disk-cache-enabled=true",
                      "--admin-address=127.0.0.1:" + std::to_string(admin_port)});
  const std::string a = mirror.put("a.bin", 1, 3 * kMiB);
  const std::string b = mirror.put("b.bin", 2, kMiB / 2);
  for (const std::string& path : {a, a, b}) ASSERT_EQ(get(mirror.url(path)).status, 200);
  ASSERT_TRUE(wait_for_port(admin_port, std::chrono::seconds(10))) << mirror.node.log();
  const auto status = status_after(admin_url, 3);
  ASSERT_GE(status.at("traffic").at("hits").to_number<std::int64_t>(), 1);

  const std::string dom = chromium_dump_dom(admin_url + "/");

  const std::string version = text_of(dom, "node-version");
  EXPECT_EQ(version, status.at("node").at("version").as_string());
  EXPECT_EQ(CasseroleNode::run_to_exit({"--version"}).second, "casserole " + version + "\n");
  const std::string hit_ratio = text_of(dom, "hit-ratio");
  ASSERT_TRUE(hit_ratio.ends_with("%")) << hit_ratio;
  EXPECT_NEAR(std::stod(hit_ratio), 100 * status.at("traffic").at("hit_ratio").to_number<double>(),
              0.05)
      << hit_ratio;
  const auto objects = rows_of(dom, "top-object");
  EXPECT_TRUE(any_starts_with(objects, a)) << dom;
  EXPECT_TRUE(any_starts_with(objects, b)) << dom;
  EXPECT_FALSE(text_of(dom, "memory-fill").starts_with("0 B")) << text_of(dom, "memory-fill");
  EXPECT_NE(text_of(dom, "disk-fill").find(" of "), std::string::npos) << text_of(dom, "disk-fill");
  EXPECT_EQ(text_of(dom, "members"), "single node");
  EXPECT_EQ(text_of(dom, "error"), "");
  EXPECT_TRUE(text_of(dom, "updated").starts_with("updated ")) << text_of(dom, "updated");

  // Kept for people to look at, in the build directory's test-artifacts/.
  const std::filesystem::path artifacts(TEST_ARTIFACTS_DIR);
  std::filesystem::create_directories(artifacts);
  const auto screenshot = artifacts / "status-page.png";
  std::filesystem::remove(screenshot);
  chromium_screenshot(admin_url + "/", screenshot);
  // A blank 1280x1000 window compresses to a few kilobytes; the rendered page to far more.
  EXPECT_GT(std::filesystem::file_size(screenshot), 20'000u);
}

// What a node in a cluster, busy filling segments, would report.
constexpr std::string_view kBusyClusterStatus = R"({
  "node": {"version": "9.9.9", "address": "127.0.0.1:8000",
           "peering_address": "http://127.0.0.1:9000", "started": "2026-12-06T05:00:00Z",
           "uptime_seconds": 93784.5, "ready": true, "not_ready_because": []},
  "traffic": {"requests": 12, "hits": 5, "hit_ratio": 0.41666, "bytes_served": 3000,
              "upstream_bytes": 1100, "upstream_saving": 2.7272,
              "bytes_by_source": {"memory": 1500, "disk": 400, "peer": 0, "upstream": 1100},
              "requests_by_cache_status": {"hit": 5, "miss": 3, "stale": 0, "pass": 1,
                                           "collapsed": 2, "none": 1}},
  "memory": {"used_bytes": 50331648, "max_bytes": 67108864, "segments": 24},
  "disk": {"used_bytes": 536870912, "max_bytes": 1073741824, "cleaned_bytes": 838860800,
           "entries": 300, "indexed": true},
  "cluster": {"self": "http://127.0.0.1:9000", "registered": true,
              "members": [{"address": "http://127.0.0.1:9000", "self": true, "state": "up"},
                          {"address": "http://127.0.0.1:9001", "self": false,
                           "state": "suspect"}]},
  "fetches": [{"target": "/big.iso", "segment": 7, "from": "upstream", "filled_bytes": 1048576,
               "size_bytes": 2097152, "seconds": 0.25}],
  "top_objects": [{"target": "/big.iso", "bytes": 16777216, "memory_bytes": 2097152,
                   "disk_bytes": 16777216, "segments": 8},
                  {"target": "/<b>bold</b>.bin", "bytes": 1024,
                   "memory_bytes": 1024, "disk_bytes": 0, "segments": 1}]
})";

TEST(StatusPage, RendersPeersWithTheirStateFetchesInFlightAndTargetsAsText) {
  NginxOrigin server;
  write_file(server.docroot() / "index.html", admin::status_page_html());
  write_file(server.docroot() / "status", kBusyClusterStatus);

  const std::string dom = chromium_dump_dom(server.url() + "/");

  EXPECT_EQ(text_of(dom, "node-version"), "9.9.9");
  EXPECT_EQ(text_of(dom, "uptime"), "1d 2h");
  EXPECT_EQ(text_of(dom, "hit-ratio"), "41.7%");
  EXPECT_EQ(text_of(dom, "bytes-saved"), "2.7x");
  EXPECT_TRUE(text_of(dom, "disk-fill").starts_with("512.0 MiB of 1.00 GiB"))
      << text_of(dom, "disk-fill");
  const auto members = rows_of(dom, "member");
  ASSERT_EQ(members.size(), 2u) << dom;
  EXPECT_TRUE(members[0].starts_with("http://127.0.0.1:9000")) << members[0];
  EXPECT_TRUE(members[0].ends_with("up")) << members[0];
  EXPECT_TRUE(members[1].starts_with("http://127.0.0.1:9001")) << members[1];
  EXPECT_TRUE(members[1].ends_with("suspect")) << members[1];
  const auto fetches = rows_of(dom, "fetch");
  ASSERT_EQ(fetches.size(), 1u) << dom;
  EXPECT_TRUE(fetches[0].starts_with("/big.iso")) << fetches[0];
  EXPECT_NE(fetches[0].find("1.00 MiB of 2.00 MiB"), std::string::npos) << fetches[0];
  EXPECT_NE(fetches[0].find("50.0%"), std::string::npos) << fetches[0];
  // A target is whatever a client asked for: the page shows it, never runs it.
  EXPECT_TRUE(any_starts_with(rows_of(dom, "top-object"), "/<b>bold</b>.bin"));
  EXPECT_EQ(dom.find("<b>"), std::string::npos);
  EXPECT_EQ(text_of(dom, "error"), "");
}

TEST(StatusPage, SaysSoWhenTheStatusCannotBeRead) {
  NginxOrigin server;
  write_file(server.docroot() / "index.html", admin::status_page_html());

  const std::string dom = chromium_dump_dom(server.url() + "/");

  EXPECT_NE(text_of(dom, "error").find("HTTP 404"), std::string::npos) << text_of(dom, "error");
}

}  // namespace
}  // namespace casserole::test
