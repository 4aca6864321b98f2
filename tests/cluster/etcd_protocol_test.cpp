// The etcd gateway's JSON, as etcd 3.4.23 writes it (the answers below are copied from it).
#include "cluster/etcd_protocol.hpp"

#include <gtest/gtest.h>

#include <string>

namespace casserole::cluster::etcd {
namespace {

constexpr std::string_view kHeader =
    R"("header":{"cluster_id":"15118495548433857066","member_id":"13668033151171901709",)"
    R"("revision":"3","raft_term":"2"})";

std::string answer(std::string_view fields) {
  return "{" + std::string(kHeader) + std::string(fields) + "}";
}

std::string result(std::string_view fields) {
  return R"({"result":)" + answer(fields) + "}";
}

int error_code(void (*parse)(std::string_view), std::string_view text) {
  try {
    parse(text);
  } catch (const Error& error) {
    return error.code();
  }
  return 0;
}

TEST(EtcdProtocol, PrefixEndIsTheFirstKeyAfterThePrefix) {
  EXPECT_EQ(prefix_end("/casserole/nodes/"), "/casserole/nodes0");
  EXPECT_EQ(prefix_end("a\xff"), "b");
  EXPECT_EQ(prefix_end("a\xfe\xff"), "a\xff");
  // Nothing follows a prefix of 0xff bytes: "\0" means the end of the keyspace to etcd.
  EXPECT_EQ(prefix_end("\xff\xff"), std::string(1, '\0'));
  EXPECT_EQ(prefix_end(""), std::string(1, '\0'));
}

TEST(EtcdProtocol, RequestsCarryBase64KeysAndInt64sAsStrings) {
  EXPECT_EQ(grant_request(10), R"({"TTL":"10"})");
  EXPECT_EQ(keep_alive_request(7), R"({"ID":"7"})");
  EXPECT_EQ(revoke_request(7), R"({"ID":"7"})");
  EXPECT_EQ(put_request("/c/n/a", "a", 4111120279108389382),
            R"({"key":"L2Mvbi9h","value":"YQ==","lease":"4111120279108389382"})");
  EXPECT_EQ(range_prefix_request("/c/n/"), R"({"key":"L2Mvbi8=","range_end":"L2MvbjA="})");
  EXPECT_EQ(watch_prefix_request("/c/n/", 5),
            R"({"create_request":{"key":"L2Mvbi8=","range_end":"L2MvbjA=","start_revision":"5"}})");
}

TEST(EtcdProtocol, GrantGivesTheLeaseAndItsTtl) {
  Lease lease = parse_grant(answer(R"(,"ID":"4111120279108389382","TTL":"5")"));
  EXPECT_EQ(lease.id, 4111120279108389382);
  EXPECT_EQ(lease.ttl, 5);
  EXPECT_THROW(parse_grant(answer(R"(,"TTL":"5")")), Error);
}

TEST(EtcdProtocol, KeepAliveWithoutTtlMeansTheLeaseIsGone) {
  EXPECT_EQ(parse_keep_alive(result(R"(,"ID":"4111120279108389382","TTL":"5")")), 5);
  EXPECT_EQ(parse_keep_alive(result(R"(,"ID":"999")")), 0);
  // Not wrapped in "result" as the gateway's streaming calls are.
  EXPECT_THROW(parse_keep_alive(answer(R"(,"ID":"999","TTL":"5")")), Error);
}

TEST(EtcdProtocol, ErrorAnswersCarryTheirGrpcCode) {
  const std::string not_found = R"({"error":"etcdserver: requested lease not found",)"
                                R"("message":"etcdserver: requested lease not found","code":5})";
  try {
    parse_header_revision(not_found);
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), Error::kNotFound);
    EXPECT_STREQ(error.what(), "etcdserver: requested lease not found");
    EXPECT_FALSE(error.endpoint_failed());
  }
  // A stream's error.
  const std::string unavailable =
      R"({"error":{"grpc_code":14,"http_code":503,"message":"no leader","http_status":"x"}})";
  EXPECT_EQ(error_code([](std::string_view text) { parse_watch_message(text); }, unavailable),
            Error::kUnavailable);
  EXPECT_TRUE(Error(Error::kUnavailable, "").endpoint_failed());
  EXPECT_TRUE(Error(Error::kDeadlineExceeded, "").endpoint_failed());
}

TEST(EtcdProtocol, PutAnswersWithTheNewRevision) {
  EXPECT_EQ(parse_header_revision(answer("")), 3);
  EXPECT_THROW(parse_header_revision("{}"), Error);
}

TEST(EtcdProtocol, RangeListsKeysAndValues) {
  Range range = parse_range(answer(
      R"(,"kvs":[{"key":"L2Mvbi9h","create_revision":"2","mod_revision":"2","version":"1",)"
      R"("value":"YQ==","lease":"4111120279108389382"},)"
      R"({"key":"L2Mvbi9i","create_revision":"3","mod_revision":"3","version":"1"}],"count":"2")"));
  EXPECT_EQ(range.revision, 3);
  ASSERT_EQ(range.kvs.size(), 2u);
  EXPECT_EQ(range.kvs[0].key, "/c/n/a");
  EXPECT_EQ(range.kvs[0].value, "a");
  EXPECT_EQ(range.kvs[0].mod_revision, 2);
  EXPECT_EQ(range.kvs[1].key, "/c/n/b");
  EXPECT_EQ(range.kvs[1].value, "");  // protobuf's JSON leaves empty values out
}

TEST(EtcdProtocol, EmptyRangeHasNoKvs) {
  Range range = parse_range(answer(""));
  EXPECT_EQ(range.revision, 3);
  EXPECT_TRUE(range.kvs.empty());
}

TEST(EtcdProtocol, WatchMessages) {
  WatchMessage created = parse_watch_message(result(R"(,"created":true)"));
  EXPECT_TRUE(created.created);
  EXPECT_FALSE(created.canceled);
  EXPECT_EQ(created.revision, 3);
  EXPECT_TRUE(created.events.empty());

  WatchMessage changes = parse_watch_message(result(
      R"(,"events":[{"kv":{"key":"L2Mvbi9i","create_revision":"3","mod_revision":"3",)"
      R"("version":"1","value":"YQ=="}},{"type":"DELETE","kv":{"key":"L2Mvbi9h","mod_revision":"4"}}])"));
  EXPECT_FALSE(changes.created);
  ASSERT_EQ(changes.events.size(), 2u);
  EXPECT_EQ(changes.events[0].type, Event::Type::put);
  EXPECT_EQ(changes.events[0].kv.key, "/c/n/b");
  EXPECT_EQ(changes.events[0].kv.value, "a");
  EXPECT_EQ(changes.events[0].kv.mod_revision, 3);
  EXPECT_EQ(changes.events[1].type, Event::Type::remove);
  EXPECT_EQ(changes.events[1].kv.key, "/c/n/a");
  EXPECT_EQ(changes.events[1].kv.mod_revision, 4);
}

TEST(EtcdProtocol, CompactedWatchIsCanceled) {
  WatchMessage message = parse_watch_message(
      R"({"result":{"header":{"cluster_id":"15118495548433857066","member_id":"1",)"
      R"("raft_term":"2"},"canceled":true,"compact_revision":"4"}})");
  EXPECT_TRUE(message.canceled);
  EXPECT_EQ(message.compact_revision, 4);
  EXPECT_EQ(message.revision, 0);
}

TEST(EtcdProtocol, MalformedAnswersAreErrorsThatFailTheEndpoint) {
  for (const std::string& text : {
           std::string(""),
           std::string("<html>502 Bad Gateway</html>"),
           std::string("[]"),
           std::string(R"({"header":{}})"),
           result(R"(,"events":{})"),
           result(R"(,"events":[{"type":"PUT"}])"),
           result(R"(,"events":[{"type":"EXPIRE","kv":{"key":"YQ=="}}])"),
           result(R"(,"events":[{"kv":{"key":"!!!!"}}])"),
           result(R"(,"events":[{"kv":{"key":7}}])"),
           result(R"(,"created":"yes")"),
           result(R"(,"compact_revision":"4x")"),
           result(R"(,"compact_revision":"")"),
       }) {
    EXPECT_EQ(error_code([](std::string_view line) { parse_watch_message(line); }, text),
              Error::kMalformed)
        << text;
  }
  EXPECT_TRUE(Error(Error::kMalformed, "").endpoint_failed());
}

}  // namespace
}  // namespace casserole::cluster::etcd
