#include "server/route.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace casserole::server {
namespace {

const std::vector<std::string> kNoPatterns;

RouteFacts request(std::string_view method, std::string_view target) {
  return RouteFacts{method, target, false, false};
}

TEST(Route, GetAndHeadAreMirrored) {
  EXPECT_EQ(route(request("GET", "/pool/a.deb"), kNoPatterns), Route::mirror);
  EXPECT_EQ(route(request("HEAD", "/pool/a.deb"), kNoPatterns), Route::mirror);
}

TEST(Route, OtherMethodsArePassedThrough) {
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get"}) {
    EXPECT_EQ(route(request(method, "/pool/a.deb"), kNoPatterns), Route::method) << method;
  }
}

TEST(Route, AuthorizationIsPassedThrough) {
  EXPECT_EQ(route(RouteFacts{"GET", "/a", true, false}, kNoPatterns), Route::authorization);
  EXPECT_EQ(route(RouteFacts{"HEAD", "/a", true, false}, kNoPatterns), Route::authorization);
}

TEST(Route, GetWithABodyIsPassedThrough) {
  EXPECT_EQ(route(RouteFacts{"GET", "/a", false, true}, kNoPatterns), Route::body);
}

TEST(Route, PatternCoversASubtree) {
  const std::vector<std::string> patterns{"/private/*"};
  EXPECT_EQ(route(request("GET", "/private/a/b"), patterns), Route::pattern);
  EXPECT_EQ(route(request("GET", "/private/a"), patterns), Route::pattern);
  EXPECT_EQ(route(request("GET", "/public/private/a"), patterns), Route::mirror);
  EXPECT_EQ(route(request("GET", "/privateer"), patterns), Route::mirror);
}

TEST(Route, PatternIgnoresTheQuery) {
  const std::vector<std::string> patterns{"/api/status"};
  EXPECT_EQ(route(request("GET", "/api/status?verbose=1"), patterns), Route::pattern);
  // Nor can a query make a path match.
  EXPECT_EQ(route(request("GET", "/data?x=/api/status"), {"*/api/status"}), Route::mirror);
}

TEST(Route, SuffixPatternMatchesAtAnyDepth) {
  const std::vector<std::string> patterns{"*.json"};
  EXPECT_EQ(route(request("GET", "/index.json"), patterns), Route::pattern);
  EXPECT_EQ(route(request("GET", "/a/b/c/meta.json?t=1"), patterns), Route::pattern);
  EXPECT_EQ(route(request("GET", "/a/b/c/meta.json.gz"), patterns), Route::mirror);
}

TEST(Route, AnyOfSeveralPatterns) {
  const std::vector<std::string> patterns{"/private/*", "*.json", "/exact"};
  EXPECT_EQ(route(request("GET", "/exact"), patterns), Route::pattern);
  EXPECT_EQ(route(request("GET", "/x.json"), patterns), Route::pattern);
  EXPECT_EQ(route(request("GET", "/exact/more"), patterns), Route::mirror);
  EXPECT_EQ(route(request("GET", "/pool/a.deb"), patterns), Route::mirror);
}

}  // namespace
}  // namespace casserole::server
