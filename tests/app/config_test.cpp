#include "app/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>

namespace casserole::app {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using List = std::vector<std::string>;

constexpr std::uint64_t MiB = std::uint64_t{1} << 20;
constexpr std::uint64_t GiB = MiB << 10;

ParseResult parse(std::initializer_list<const char*> args, const List& environment = {}) {
  std::vector<const char*> argv = {"casserole"};
  argv.insert(argv.end(), args.begin(), args.end());
  return parse_config(static_cast<int>(argv.size()), argv.data(), environment);
}

Config parse_ok(std::initializer_list<const char*> args, const List& environment = {}) {
  ParseResult result = parse(args, environment);
  EXPECT_TRUE(result.config) << result.err;
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "");
  return result.config.value_or(Config{});
}

// Checks the failure contract (no config, exit 2, one line on err) and returns that line.
std::string parse_error(std::initializer_list<const char*> args, const List& environment = {}) {
  ParseResult result = parse(args, environment);
  EXPECT_FALSE(result.config);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_THAT(result.err, StartsWith("casserole: "));
  EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << result.err;
  return result.err;
}

TEST(ParseConfig, Defaults) {
  const Config config = parse_ok({});
  EXPECT_EQ(config.listen_host, "localhost");
  EXPECT_EQ(config.listen_port, 8080);
  EXPECT_EQ(config.mirror_url, "http://localhost:9000");
  EXPECT_EQ(config.max_memory_usage, 100 * MiB);
  EXPECT_TRUE(config.disk_cache_enabled);
  EXPECT_EQ(config.disk_cache_dir, "./data");
  EXPECT_EQ(config.max_disk_usage, GiB);
  EXPECT_EQ(config.cleaned_disk_usage, 800 * MiB);
  EXPECT_EQ(config.etcd, List{});
  EXPECT_EQ(config.peering_address, "http://localhost:8000");
  EXPECT_EQ(config.passthrough, List{});
  EXPECT_EQ(config.segment_size, 2 * MiB);
  EXPECT_EQ(config.min_ttl, seconds(60));
  EXPECT_EQ(config.upstream_connect_timeout, milliseconds(5000));
  EXPECT_EQ(config.upstream_timeout, milliseconds(30000));
  EXPECT_EQ(config.peer_timeout, milliseconds(10000));
  EXPECT_EQ(config.upstream_max_idle, 32u);
  EXPECT_FALSE(config.upstream_insecure);
  EXPECT_EQ(config.upstream_ca_file, "");
  EXPECT_EQ(config.read_ahead, 4u);
  EXPECT_TRUE(config.access_log);
}

// A file of its own per test: ctest runs tests in parallel processes.
class TempFile {
 public:
  TempFile() {
    std::string name = std::filesystem::temp_directory_path() / "casserole_config_test_XXXXXX";
    int fd = mkstemp(name.data());
    if (fd >= 0) close(fd);
    path_ = name;
    std::ofstream(path_) << "PEM\n";
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(ParseConfig, EveryFlag) {
  const TempFile ca;
  const std::string ca_flag = "--upstream-ca-file=" + ca.path();
  const Config config = parse_ok({"--address=[::]:9090",
                                  "--mirror-url",
                                  "https://origin.example/pub/",
                                  "--max-memory-usage=1G",
                                  "--disk-cache-enabled=false",
                                  "--disk-cache-dir=/var/cache/casserole",
                                  "--max-disk-usage=2T",
                                  "--cleaned-disk-usage=1T",
                                  "--etcd=http://etcd1:2379,http://etcd2:2379",
                                  "--peering-address=http://10.0.0.5:8000",
                                  "--passthrough=/private/*",
                                  "--segment-size=4M",
                                  "--min-ttl=5m",
                                  "--default-ttl=1h",
                                  "--ttl=/pool/*=7d",
                                  "--ttl=/dists/*=5m",
                                  "--immutable=/pool/*,*/blobs/sha256:*",
                                  "--cache-key-ignore-query=X-Amz-*,Signature",
                                  "--metadata-from=get",
                                  "--max-connections=100",
                                  "--client-header-timeout=2s",
                                  "--keepalive-timeout=1m",
                                  "--upstream-connect-timeout=500ms",
                                  "--upstream-timeout=2m",
                                  "--peer-timeout=3s",
                                  "--upstream-max-idle=0",
                                  "--upstream-insecure",
                                  ca_flag.c_str(),
                                  "--read-ahead=64",
                                  "--access-log=no"});
  EXPECT_EQ(config.listen_host, "::");
  EXPECT_EQ(config.listen_port, 9090);
  EXPECT_EQ(config.mirror_url, "https://origin.example/pub");
  EXPECT_EQ(config.max_memory_usage, GiB);
  EXPECT_FALSE(config.disk_cache_enabled);
  EXPECT_EQ(config.disk_cache_dir, "/var/cache/casserole");
  EXPECT_EQ(config.max_disk_usage, 2048 * GiB);
  EXPECT_EQ(config.cleaned_disk_usage, 1024 * GiB);
  EXPECT_EQ(config.etcd, (List{"http://etcd1:2379", "http://etcd2:2379"}));
  EXPECT_EQ(config.peering_address, "http://10.0.0.5:8000");
  EXPECT_EQ(config.passthrough, List{"/private/*"});
  EXPECT_EQ(config.segment_size, 4 * MiB);
  EXPECT_EQ(config.min_ttl, seconds(300));
  EXPECT_EQ(config.default_ttl, seconds(3600));
  EXPECT_EQ(config.ttl, (List{"/pool/*=7d", "/dists/*=5m"}));
  EXPECT_EQ(config.immutable, (List{"/pool/*", "*/blobs/sha256:*"}));
  EXPECT_EQ(config.cache_key_ignore_query, (List{"X-Amz-*", "Signature"}));
  EXPECT_TRUE(config.metadata_from_get);
  EXPECT_EQ(config.max_connections, 100u);
  EXPECT_EQ(config.client_header_timeout, milliseconds(2000));
  EXPECT_EQ(config.keepalive_timeout, milliseconds(60'000));
  EXPECT_EQ(config.upstream_connect_timeout, milliseconds(500));
  EXPECT_EQ(config.upstream_timeout, milliseconds(120'000));
  EXPECT_EQ(config.peer_timeout, milliseconds(3000));
  EXPECT_EQ(config.upstream_max_idle, 0u);
  EXPECT_TRUE(config.upstream_insecure);
  EXPECT_EQ(config.upstream_ca_file, ca.path());
  EXPECT_EQ(config.read_ahead, 64u);
  EXPECT_FALSE(config.access_log);
}

TEST(ParseConfig, EveryEnvironmentVariable) {
  const TempFile ca;
  const Config config = parse_ok({}, {"CASSEROLE_ADDRESS=127.0.0.1:1",
                                      "CASSEROLE_MIRROR_URL=http://origin:80/",
                                      "CASSEROLE_MAX_MEMORY_USAGE=512M",
                                      "CASSEROLE_DISK_CACHE_ENABLED=0",
                                      "CASSEROLE_DISK_CACHE_DIR=/cache",
                                      "CASSEROLE_MAX_DISK_USAGE=10G",
                                      "CASSEROLE_CLEANED_DISK_USAGE=10G",
                                      "CASSEROLE_ETCD=http://etcd:2379",
                                      "CASSEROLE_PEERING_ADDRESS=http://node1:8443",
                                      "CASSEROLE_PASSTHROUGH=/a/*, *.sig",
                                      "CASSEROLE_SEGMENT_SIZE=64M",
                                      "CASSEROLE_MIN_TTL=0",
                                      "CASSEROLE_UPSTREAM_CONNECT_TIMEOUT=1",
                                      "CASSEROLE_UPSTREAM_TIMEOUT=1h",
                                      "CASSEROLE_PEER_TIMEOUT=250ms",
                                      "CASSEROLE_UPSTREAM_MAX_IDLE=4096",
                                      "CASSEROLE_UPSTREAM_INSECURE=YES",
                                      "CASSEROLE_UPSTREAM_CA_FILE=" + ca.path(),
                                      "CASSEROLE_READ_AHEAD=0",
                                      "CASSEROLE_ACCESS_LOG=off"});
  EXPECT_EQ(config.listen_host, "127.0.0.1");
  EXPECT_EQ(config.listen_port, 1);
  EXPECT_EQ(config.mirror_url, "http://origin:80");
  EXPECT_EQ(config.max_memory_usage, 512 * MiB);
  EXPECT_FALSE(config.disk_cache_enabled);
  EXPECT_EQ(config.disk_cache_dir, "/cache");
  EXPECT_EQ(config.max_disk_usage, 10 * GiB);
  EXPECT_EQ(config.cleaned_disk_usage, 10 * GiB);
  EXPECT_EQ(config.etcd, List{"http://etcd:2379"});
  EXPECT_EQ(config.peering_address, "http://node1:8443");
  EXPECT_EQ(config.passthrough, (List{"/a/*", "*.sig"}));
  EXPECT_EQ(config.segment_size, 64 * MiB);
  EXPECT_EQ(config.min_ttl, seconds(0));
  EXPECT_EQ(config.upstream_connect_timeout, milliseconds(1000));
  EXPECT_EQ(config.upstream_timeout, milliseconds(3'600'000));
  EXPECT_EQ(config.peer_timeout, milliseconds(250));
  EXPECT_EQ(config.upstream_max_idle, 4096u);
  EXPECT_TRUE(config.upstream_insecure);
  EXPECT_EQ(config.upstream_ca_file, ca.path());
  EXPECT_EQ(config.read_ahead, 0u);
  EXPECT_FALSE(config.access_log);
}

TEST(ParseConfig, FlagBeatsEnvironment) {
  const Config config =
      parse_ok({"--max-memory-usage=200M", "--access-log=true", "--etcd=http://a"},
               {"CASSEROLE_MAX_MEMORY_USAGE=300M", "CASSEROLE_ACCESS_LOG=false",
                "CASSEROLE_ETCD=http://b,http://c"});
  EXPECT_EQ(config.max_memory_usage, 200 * MiB);
  EXPECT_TRUE(config.access_log);
  EXPECT_EQ(config.etcd, List{"http://a"});
}

TEST(ParseConfig, FlagHidesABadEnvironmentValue) {
  EXPECT_EQ(parse_ok({"--segment-size=1M"}, {"CASSEROLE_SEGMENT_SIZE=huge"}).segment_size, MiB);
}

TEST(ParseConfig, EnvironmentEdgeCases) {
  // Empty variables count as unset; unknown CASSEROLE_* and other variables are ignored; the
  // first of two entries wins, as with getenv().
  const Config config =
      parse_ok({}, {"CASSEROLE_MAX_MEMORY_USAGE=", "CASSEROLE_NO_SUCH_OPTION=1", "PATH=/bin",
                    "casserole_read_ahead=9", "CASSEROLE_READ_AHEAD=8", "CASSEROLE_READ_AHEAD=7",
                    "CASSEROLE_HELP=1", "CASSEROLE_=x", "CASSEROLE_ETCD", "=x"});
  EXPECT_EQ(config.max_memory_usage, 100 * MiB);
  EXPECT_EQ(config.read_ahead, 8u);
  EXPECT_EQ(config.etcd, List{});
}

TEST(ParseConfig, BooleanForms) {
  EXPECT_FALSE(parse_ok({"--disk-cache-enabled=false"}).disk_cache_enabled);
  EXPECT_TRUE(parse_ok({"--disk-cache-enabled"}, {"CASSEROLE_DISK_CACHE_ENABLED=false"})
                  .disk_cache_enabled);
  EXPECT_TRUE(parse_ok({"--disk-cache-enabled=true"}).disk_cache_enabled);
  EXPECT_TRUE(parse_ok({"--upstream-insecure=1"}).upstream_insecure);
  EXPECT_FALSE(parse_ok({"--upstream-insecure=0"}).upstream_insecure);
  EXPECT_FALSE(parse_ok({"--access-log=No"}).access_log);
  EXPECT_TRUE(parse_ok({"--access-log=ON"}).access_log);
}

TEST(ParseConfig, BareBooleanDoesNotTakeTheNextArgument) {
  const Config config = parse_ok({"--upstream-insecure", "--read-ahead", "8", "--access-log"});
  EXPECT_TRUE(config.upstream_insecure);
  EXPECT_EQ(config.read_ahead, 8u);
  EXPECT_TRUE(config.access_log);
  EXPECT_THAT(parse_error({"--access-log", "false"}),
              HasSubstr("unexpected argument \"false\" (write --access-log=false)"));
  EXPECT_THAT(parse_error({"--disk-cache-enabled", "/data"}),
              HasSubstr("unexpected argument \"/data\""));
}

TEST(ParseConfig, ValuesAsNextArgument) {
  const Config config = parse_ok({"--address", "localhost:1", "--segment-size", "8M"});
  EXPECT_EQ(config.listen_port, 1);
  EXPECT_EQ(config.segment_size, 8 * MiB);
}

TEST(ParseConfig, ListsByRepetitionAndCommas) {
  const Config config = parse_ok({"--etcd=http://a:2379", "--etcd", "http://b:2379,http://c:2379",
                                  "--passthrough=/x/*", "--passthrough=/y/*,*.asc"});
  EXPECT_EQ(config.etcd, (List{"http://a:2379", "http://b:2379", "http://c:2379"}));
  EXPECT_EQ(config.passthrough, (List{"/x/*", "/y/*", "*.asc"}));
}

TEST(ParseConfig, ListsFromEnvironment) {
  const Config config =
      parse_ok({}, {"CASSEROLE_ETCD=http://a:2379, http://b:2379/", "CASSEROLE_PASSTHROUGH=/p/*"});
  EXPECT_EQ(config.etcd, (List{"http://a:2379", "http://b:2379"}));
  EXPECT_EQ(config.passthrough, List{"/p/*"});
}

TEST(ParseConfig, RangeLimits) {
  EXPECT_EQ(parse_ok({"--segment-size=4K"}).segment_size, 4096u);
  EXPECT_EQ(parse_ok({"--segment-size=1G", "--max-memory-usage=1G"}).segment_size, GiB);
  EXPECT_THAT(parse_error({"--segment-size=4095"}),
              HasSubstr("--segment-size: invalid size \"4095\" (use a number with an optional K, "
                        "M, G or T suffix, from 4K to 1G)"));
  EXPECT_THAT(parse_error({"--segment-size=1025M", "--max-memory-usage=2G"}),
              HasSubstr("--segment-size: invalid size"));
  EXPECT_THAT(parse_error({"--read-ahead=65"}),
              HasSubstr("--read-ahead: invalid count \"65\" (use a whole number from 0 to 64)"));
  EXPECT_THAT(parse_error({"--upstream-max-idle=4097"}), HasSubstr("--upstream-max-idle"));
  EXPECT_THAT(parse_error({"--upstream-timeout=0"}),
              HasSubstr("--upstream-timeout: invalid duration \"0\" (use a number with an "
                        "optional ms, s, m, h or d suffix, above zero)"));
  EXPECT_THAT(parse_error({"--upstream-connect-timeout=0ms"}),
              HasSubstr("--upstream-connect-timeout: invalid duration"));
}

TEST(ParseConfig, MinTtlMustBeWholeSeconds) {
  EXPECT_EQ(parse_ok({"--min-ttl=2000ms"}).min_ttl, seconds(2));
  EXPECT_EQ(parse_ok({"--min-ttl=90"}).min_ttl, seconds(90));
  EXPECT_THAT(parse_error({"--min-ttl=500ms"}),
              HasSubstr("--min-ttl: invalid duration \"500ms\" (use whole seconds with an optional "
                        "s, m, h or d suffix)"));
}

TEST(ParseConfig, PathTtlsAreAGlobAndWholeSeconds) {
  EXPECT_EQ(parse_ok({"--ttl=/a=b/*=90"}).ttl, List{"/a=b/*=90"}) << "the last = separates";
  EXPECT_THAT(parse_error({"--ttl=pool/*=1h"}), HasSubstr("--ttl: invalid path TTL \"pool/*=1h\""));
  EXPECT_THAT(parse_error({"--ttl=/pool/*"}), HasSubstr("invalid path TTL"));
  EXPECT_THAT(parse_error({"--ttl=/pool/*=500ms"}), HasSubstr("invalid path TTL"));
  EXPECT_THAT(parse_error({"--ttl=/pool/*=0"}), HasSubstr("invalid path TTL"));
  EXPECT_THAT(parse_error({"--immutable=pool/*"}), HasSubstr("--immutable: invalid pattern"));
}

TEST(ParseConfig, Errors) {
  EXPECT_EQ(parse_error({"--max-memory-usage=12Q"}),
            "casserole: --max-memory-usage: invalid size \"12Q\" (use a number with an optional "
            "K, M, G or T suffix)\n");
  EXPECT_EQ(parse_error({}, {"CASSEROLE_MAX_MEMORY_USAGE=12Q"}),
            "casserole: environment variable CASSEROLE_MAX_MEMORY_USAGE: invalid size \"12Q\" "
            "(use a number with an optional K, M, G or T suffix)\n");
  EXPECT_EQ(parse_error({"--no-such-flag=1"}),
            "casserole: --no-such-flag: unknown option (see --help)\n");
  EXPECT_EQ(parse_error({"-x"}), "casserole: -x: unknown option (see --help)\n");
  EXPECT_EQ(parse_error({"--max-mem=1G"}), "casserole: --max-mem: unknown option (see --help)\n");
  EXPECT_EQ(parse_error({"--address"}), "casserole: --address: missing value\n");
  EXPECT_EQ(parse_error({"--address="}), "casserole: --address: missing value\n");
  EXPECT_EQ(parse_error({"--access-log="}), "casserole: --access-log: missing value\n");
  EXPECT_EQ(parse_error({"--mirror-url", "--etcd=http://e"}),
            "casserole: --mirror-url: missing value\n");
  EXPECT_EQ(parse_error({"--help=yes"}), "casserole: --help: takes no value\n");
  EXPECT_EQ(parse_error({"serve"}),
            "casserole: unexpected argument \"serve\" (casserole takes no positional "
            "arguments)\n");
  EXPECT_THAT(parse_error({"--", "--access-log"}), HasSubstr("unexpected argument"));
  EXPECT_EQ(parse_error({"--address=a:1", "--address=b:2"}),
            "casserole: --address: given more than once\n");
  EXPECT_EQ(parse_error({"--access-log", "--access-log=false"}),
            "casserole: --access-log: given more than once\n");
  EXPECT_EQ(parse_error({"--access-log=maybe"}),
            "casserole: --access-log: invalid boolean \"maybe\" (use true or false)\n");
  EXPECT_THAT(parse_error({}, {"CASSEROLE_DISK_CACHE_ENABLED=maybe"}),
              HasSubstr("environment variable CASSEROLE_DISK_CACHE_ENABLED: invalid boolean"));
  EXPECT_THAT(parse_error({"--min-ttl=1w"}), HasSubstr("--min-ttl: invalid duration \"1w\""));
  EXPECT_THAT(parse_error({"--max-disk-usage=-1G"}),
              HasSubstr("--max-disk-usage: invalid size \"-1G\""));
  EXPECT_THAT(parse_error({"--max-disk-usage=1.5G"}), HasSubstr("invalid size \"1.5G\""));
  EXPECT_THAT(parse_error({"--max-disk-usage=99999999999999T"}), HasSubstr("invalid size"));
  EXPECT_THAT(parse_error({"--disk-cache-dir="}), HasSubstr("--disk-cache-dir: missing value"));
  EXPECT_THAT(parse_error({"--upstream-ca-file=/no/such/file.pem"}),
              HasSubstr("--upstream-ca-file: invalid file \"/no/such/file.pem\" (it cannot be "
                        "opened for reading)"));
}

TEST(ParseConfig, ErrorsStayOnOneLine) {
  EXPECT_EQ(parse_error({"--max-memory-usage=1\nG\""}),
            "casserole: --max-memory-usage: invalid size \"1\\x0aG\\\"\" (use a number with an "
            "optional K, M, G or T suffix)\n");
  EXPECT_EQ(parse_error({"--bad\nflag"}),
            "casserole: --bad\\x0aflag: unknown option (see --help)\n");
}

TEST(ParseConfig, AddressErrors) {
  for (const char* address : {"--address=localhost", "--address=localhost:0",
                              "--address=localhost:70000", "--address=:8080", "--address=::1:80"}) {
    EXPECT_THAT(parse_error({address}),
                HasSubstr("--address: invalid address \"" + std::string(address + 10) +
                          "\" (use host:port or [ipv6]:port, with a port from 1 to 65535)"));
  }
}

TEST(ParseConfig, UrlErrors) {
  const std::string hint = " (use http:// or https:// with a host, and no user, query or fragment)";
  EXPECT_EQ(parse_error({"--mirror-url=ftp://h"}),
            "casserole: --mirror-url: invalid URL \"ftp://h\"" + hint + "\n");
  EXPECT_THAT(parse_error({"--mirror-url=http://h/?a=b"}), HasSubstr("invalid URL"));
  EXPECT_THAT(parse_error({"--mirror-url=localhost:9000"}), HasSubstr("invalid URL"));
  EXPECT_THAT(parse_error({"--peering-address=http://"}),
              HasSubstr("--peering-address: invalid URL"));
  // The peering listener speaks plain HTTP at the root.
  EXPECT_THAT(parse_error({"--peering-address=https://node1:8443"}),
              HasSubstr("--peering-address: invalid URL"));
  EXPECT_THAT(parse_error({"--peering-address=http://node1:8000/peers"}),
              HasSubstr("--peering-address: invalid URL"));
  EXPECT_EQ(parse_error({"--etcd=http://ok:2379,etcd:2379"}),
            "casserole: --etcd: invalid URL \"etcd:2379\"" + hint + "\n");
  EXPECT_THAT(parse_error({}, {"CASSEROLE_ETCD=http://a,:x"}),
              HasSubstr("environment variable CASSEROLE_ETCD: invalid URL \":x\""));
}

TEST(ParseConfig, ClusterSecret) {
  EXPECT_EQ(parse_ok({}).cluster_secret, "");
  EXPECT_EQ(parse_ok({"--cluster-secret=s3cr3t!"}).cluster_secret, "s3cr3t!");
  EXPECT_EQ(parse_ok({}, {"CASSEROLE_CLUSTER_SECRET=from-env"}).cluster_secret, "from-env");
  EXPECT_THAT(parse_error({"--cluster-secret=two words"}),
              HasSubstr("--cluster-secret: invalid secret"));
  // The secret itself is never printed, not even in an error about it.
  EXPECT_THAT(parse_error({"--cluster-secret=two words"}), Not(HasSubstr("two words")));
}

TEST(ParseConfig, AdminListenerAndToken) {
  const Config defaults = parse_ok({});
  // Loopback, and clear of the seed's 8080 and 8000 and of Prometheus's 9090.
  EXPECT_EQ(defaults.admin_host, "127.0.0.1");
  EXPECT_EQ(defaults.admin_port, 9190);
  EXPECT_EQ(defaults.admin_token, "");
  const Config set = parse_ok({"--admin-address=[::1]:9999", "--admin-token=t0ken"});
  EXPECT_EQ(set.admin_host, "::1");
  EXPECT_EQ(set.admin_port, 9999);
  EXPECT_EQ(set.admin_token, "t0ken");
  EXPECT_EQ(parse_ok({}, {"CASSEROLE_ADMIN_ADDRESS=0.0.0.0:9190"}).admin_host, "0.0.0.0");
  EXPECT_THAT(parse_error({"--admin-address=9190"}), HasSubstr("--admin-address: invalid"));
  EXPECT_THAT(parse_error({"--admin-token=a b"}), HasSubstr("--admin-token: invalid secret"));
  EXPECT_THAT(parse_error({"--admin-token=a b"}), Not(HasSubstr("a b")));
}

TEST(ParseConfig, AccessLogFormat) {
  EXPECT_FALSE(parse_ok({}).access_log_json);
  EXPECT_TRUE(parse_ok({"--access-log-format=json"}).access_log_json);
  EXPECT_FALSE(parse_ok({"--access-log-format", "text"}).access_log_json);
  EXPECT_EQ(parse_error({"--access-log-format=xml"}),
            "casserole: --access-log-format: invalid format \"xml\" (use text or json)\n");
}

TEST(ParseConfig, PassthroughPatternsMatchPaths) {
  EXPECT_EQ(parse_error({"--passthrough=private/*"}),
            "casserole: --passthrough: invalid pattern \"private/*\" (patterns match request "
            "paths, so start them with / or *)\n");
}

TEST(ParseConfig, CrossOptionChecks) {
  EXPECT_EQ(parse_ok({"--max-disk-usage=800M"}).max_disk_usage, 800 * MiB);
  EXPECT_EQ(parse_error({"--max-disk-usage=500M"}),
            "casserole: --cleaned-disk-usage (800M) must not exceed --max-disk-usage (500M)\n");
  EXPECT_THAT(parse_error({}, {"CASSEROLE_CLEANED_DISK_USAGE=2G"}),
              HasSubstr("--cleaned-disk-usage (2G) must not exceed --max-disk-usage (1G)"));
  EXPECT_EQ(parse_ok({"--max-memory-usage=2M"}).max_memory_usage, 2 * MiB);
  EXPECT_EQ(parse_error({"--max-memory-usage=1M"}),
            "casserole: --max-memory-usage (1M) must be at least --segment-size (2M)\n");
}

TEST(ParseConfig, Help) {
  const ParseResult result = parse({"--max-memory-usage=bad", "--help"});
  EXPECT_FALSE(result.config);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.err, "");
  EXPECT_THAT(result.out, StartsWith("Usage: casserole [OPTIONS]\n"));
  for (const char* line : {
           "  --address=HOST:PORT  (CASSEROLE_ADDRESS, default localhost:8080)\n",
           "  --mirror-url=URL  (CASSEROLE_MIRROR_URL, default http://localhost:9000)\n",
           "  --max-memory-usage=SIZE  (CASSEROLE_MAX_MEMORY_USAGE, default 100M)\n",
           "  --disk-cache-enabled[=BOOL]  (CASSEROLE_DISK_CACHE_ENABLED, default true)\n",
           "  --disk-cache-dir=DIR  (CASSEROLE_DISK_CACHE_DIR, default ./data)\n",
           "  --max-disk-usage=SIZE  (CASSEROLE_MAX_DISK_USAGE, default 1G)\n",
           "  --cleaned-disk-usage=SIZE  (CASSEROLE_CLEANED_DISK_USAGE, default 800M)\n",
           "  --etcd=URL[,URL...]  (CASSEROLE_ETCD, default none)\n",
           "  --peering-address=URL  (CASSEROLE_PEERING_ADDRESS, default http://localhost:8000)\n",
           "  --cluster-secret=SECRET  (CASSEROLE_CLUSTER_SECRET, default none)\n",
           "  --passthrough=GLOB[,GLOB...]  (CASSEROLE_PASSTHROUGH, default none)\n",
           "  --segment-size=SIZE  (CASSEROLE_SEGMENT_SIZE, default 2M)\n",
           "  --min-ttl=DURATION  (CASSEROLE_MIN_TTL, default 60s)\n",
           "  --upstream-connect-timeout=DURATION  (CASSEROLE_UPSTREAM_CONNECT_TIMEOUT, default "
           "5s)\n",
           "  --upstream-timeout=DURATION  (CASSEROLE_UPSTREAM_TIMEOUT, default 30s)\n",
           "  --peer-timeout=DURATION  (CASSEROLE_PEER_TIMEOUT, default 10s)\n",
           "  --upstream-max-idle=COUNT  (CASSEROLE_UPSTREAM_MAX_IDLE, default 32)\n",
           "  --upstream-insecure[=BOOL]  (CASSEROLE_UPSTREAM_INSECURE, default false)\n",
           "  --upstream-ca-file=FILE  (CASSEROLE_UPSTREAM_CA_FILE, default none)\n",
           "  --read-ahead=COUNT  (CASSEROLE_READ_AHEAD, default 4)\n",
           "  --access-log[=BOOL]  (CASSEROLE_ACCESS_LOG, default true)\n",
           "  --help\n",
           "  --version\n",
       }) {
    EXPECT_THAT(result.out, HasSubstr(line));
  }
}

TEST(ParseConfig, Version) {
  const ParseResult result = parse({"--version"});
  EXPECT_FALSE(result.config);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "casserole " CASSEROLE_VERSION "\n");
  EXPECT_EQ(result.err, "");
}

TEST(ProcessEnvironment, SeesTheRealEnvironment) {
  ::setenv("CASSEROLE_READ_AHEAD", "3", 1);
  const List environment = process_environment();
  ::unsetenv("CASSEROLE_READ_AHEAD");
  EXPECT_EQ(parse_ok({}, environment).read_ahead, 3u);
}

}  // namespace
}  // namespace casserole::app
