#include "peering/peer_protocol.hpp"

#include <gtest/gtest.h>

#include <string>

namespace casserole::peering {
namespace {

void expect_round_trip(const PeerRequest& request) {
  std::string target = request_target(request);
  auto parsed = parse_request_target(target);
  ASSERT_TRUE(parsed) << target;
  EXPECT_EQ(parsed->kind, request.kind) << target;
  EXPECT_EQ(parsed->target, request.target) << target;
  EXPECT_EQ(parsed->index, request.index) << target;
  EXPECT_EQ(parsed->scope, request.scope) << target;
  EXPECT_EQ(parsed->segment_size, request.segment_size) << target;
}

TEST(PeerProtocol, RequestsRoundTripWhateverTheClientTarget) {
  // Targets as a client's are once admitted: normal, whatever their query.
  for (const char* target : {"/a", "/pool/main/c++/g++_12.deb", "/a%20b/%2520x?y=1&z=2+3%23frag",
                             "/search?q=a%26b&x=%2F", "/%E2%82%AC", "/?", "/&index=3"}) {
    expect_round_trip({PeerRequest::Kind::meta, target, 0, Scope::fetch});
    expect_round_trip({PeerRequest::Kind::meta, target, 0, Scope::stored});
    expect_round_trip({PeerRequest::Kind::segment, target, 0, Scope::fetch, 2097152});
    expect_round_trip(
        {PeerRequest::Kind::segment, target, 18446744073709551615u, Scope::stored, 1});
  }
  expect_round_trip({PeerRequest::Kind::members, "", 0, Scope::fetch});
}

TEST(PeerProtocol, RejectsAnythingElse) {
  for (const char* target : {
           "",
           "/",
           "/_casserole/metadata?target=/a",
           "/_casserole/meta",                                       // no target
           "/_casserole/meta?target=a",                              // not an absolute path
           "/_casserole/meta?target",                                // no value
           "/_casserole/meta?target=/a&index=1",                     // an index is for segments
           "/_casserole/meta?target=/a&target=/b",                   // twice
           "/_casserole/meta?target=/a&scope=all",                   // no such scope
           "/_casserole/meta?target=/a&extra=1",                     // unknown parameter
           "/_casserole/meta?target=/a&segment-size=1",              // a size too
           "/_casserole/segment?target=/a&segment-size=1",           // no index
           "/_casserole/segment?target=/a&index=1",                  // no segment size
           "/_casserole/segment?target=/a&index=1&segment-size=0",   // no segment is empty
           "/_casserole/segment?target=/a&index=1&segment-size=1M",  // bytes, as a count
           "/_casserole/segment?target=/a&index=1&segment-size=1&segment-size=1",
           "/_casserole/segment?target=/a&segment-size=1&index=-1",  // not a count
           "/_casserole/segment?target=/a&segment-size=1&index=1x",  // trailing junk
           "/_casserole/segment?target=/a&segment-size=1&index=18446744073709551616",  // too large
           "/_casserole/segment?target=/a&segment-size=1&index=1&index=2",
           "/_casserole/members?x=1",
           "http://host/_casserole/meta?target=/a",  // not origin-form
           "/_casserole/meta?target=/a%zz",          // bad escape
           "/_casserole/meta?target=/a/../b",        // not normal: a peer must not climb
           "/_casserole/meta?target=/%2561",         // not normal: the key is /a
       }) {
    EXPECT_FALSE(parse_request_target(target)) << target;
  }
}

TEST(PeerProtocol, SecretsMatchOnlyExactly) {
  EXPECT_TRUE(secret_matches("s3cret", "s3cret"));
  EXPECT_FALSE(secret_matches("s3cret", "s3cre"));
  EXPECT_FALSE(secret_matches("s3cret", "s3cret!"));
  EXPECT_FALSE(secret_matches("s3cret", "S3cret"));
  EXPECT_FALSE(secret_matches("s3cret", ""));
}

}  // namespace
}  // namespace casserole::peering
