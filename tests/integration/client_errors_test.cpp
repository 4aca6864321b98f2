// What a client or an operator gets wrong: malformed requests and bad options get a clear
// answer, never a crash.
#include "integration/mirror_fixture.hpp"

namespace casserole::test {
namespace {

TEST(ClientErrors, MalformedRequestsAre400AndTheNodeKeepsServing) {
  NginxMirror mirror;
  auto path = mirror.put("ok.bin", 1, 1000);
  for (std::string_view garbage :
       {"GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "GET /x HTTP/1.1\r\nBad Header\r\n\r\n",
        "GET /x HTTP/1.1\r\nContent-Length: nope\r\n\r\n"}) {
    std::string reply = raw_exchange(mirror.node.port(), garbage, std::chrono::seconds(5));
    EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << garbage << " -> " << reply;
    EXPECT_NE(reply.find("malformed request"), std::string::npos) << reply;
  }
  std::string absolute =
      raw_exchange(mirror.node.port(), "GET http://example.com/ HTTP/1.1\r\nHost: x\r\n\r\n",
                   std::chrono::seconds(5));
  EXPECT_EQ(absolute.rfind("HTTP/1.1 400", 0), 0u) << absolute;
  EXPECT_EQ(get(mirror.url(path)).body_sha256, pattern_sha256(1, 0, 1000));
}

TEST(ClientErrors, OversizedHeaderIs431) {
  NginxMirror mirror;
  std::string request = "GET /x HTTP/1.1\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n";
  std::string reply = raw_exchange(mirror.node.port(), request, std::chrono::seconds(5));
  EXPECT_EQ(reply.rfind("HTTP/1.1 431", 0), 0u) << reply.substr(0, 200);
}

TEST(ClientErrors, BadOptionsAreOneLineAndExitCode2) {
  for (const std::vector<std::string>& flags :
       std::vector<std::vector<std::string>>{{"--max-memory-usage=12Q"},
                                             {"--mirror-url=ftp://x"},
                                             {"--no-such-flag"},
                                             {"--min-ttl=soon"},
                                             {"--ttl=pool/*=1h"},
                                             {"--ttl=/pool/*"},
                                             {"--ttl=/pool/*=500ms"},
                                             {"--immutable=pool"},
                                             {"--default-ttl=-1s"},
                                             {"--cache-key-ignore-query=a=b"},
                                             {"--metadata-from=options"},
                                             {"positional"}}) {
    auto [code, output] = CasseroleNode::run_to_exit(flags);
    EXPECT_EQ(code, 2) << flags[0];
    EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << output;
    EXPECT_EQ(output.rfind("casserole: ", 0), 0u) << output;
  }
  auto [code, output] = CasseroleNode::run_to_exit({}, {{"CASSEROLE_MAX_MEMORY_USAGE", "lots"}});
  EXPECT_EQ(code, 2);
  EXPECT_NE(output.find("CASSEROLE_MAX_MEMORY_USAGE"), std::string::npos) << output;
}

TEST(ClientErrors, HelpAndVersion) {
  auto [help_code, help] = CasseroleNode::run_to_exit({"--help"});
  EXPECT_EQ(help_code, 0);
  for (const char* flag : {"--address",
                           "--mirror-url",
                           "--max-memory-usage",
                           "--disk-cache-enabled",
                           "--disk-cache-dir",
                           "--max-disk-usage",
                           "--cleaned-disk-usage",
                           "--etcd",
                           "--peering-address",
                           "--passthrough",
                           "--segment-size",
                           "--min-ttl",
                           "--default-ttl",
                           "--ttl",
                           "--immutable",
                           "--cache-key-ignore-query",
                           "--metadata-from",
                           "--max-connections",
                           "--client-header-timeout",
                           "--keepalive-timeout"}) {
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  }
  auto [version_code, version] = CasseroleNode::run_to_exit({"--version"});
  EXPECT_EQ(version_code, 0);
  EXPECT_EQ(version.rfind("casserole ", 0), 0u) << version;
}

TEST(ClientErrors, EnvironmentConfiguresTheNode) {
  NginxOrigin origin;
  write_pattern_file(origin.docroot() / "env.bin", 3, 2 * kMiB);
  CasseroleNode node({"--disk-cache-enabled=false"},
                     {{"CASSEROLE_MIRROR_URL", origin.url()}, {"CASSEROLE_SEGMENT_SIZE", "512K"}});
  Response response = get(node.url() + "/env.bin");
  EXPECT_EQ(response.body_sha256, pattern_sha256(3, 0, 2 * kMiB));
  std::size_t gets = 0;
  for (const auto& entry : origin.wait_for_access_log(5)) gets += entry.method == "GET";
  EXPECT_EQ(gets, 4u) << "2 MiB in 512 KiB segments";
}

}  // namespace
}  // namespace casserole::test
