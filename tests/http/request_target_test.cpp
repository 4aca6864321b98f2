#include "http/request_target.hpp"

#include <gtest/gtest.h>

namespace casserole::http {
namespace {

std::string normal(std::string_view target) {
  NormalTarget result = normalize_target(target);
  EXPECT_TRUE(result.refusal.empty()) << target << ": " << result.refusal;
  return result.target;
}

bool refused(std::string_view target) {
  NormalTarget result = normalize_target(target);
  return !result.refusal.empty() && result.target.empty();
}

TEST(NormalizeTarget, KeepsANormalTargetAsItIs) {
  for (std::string_view target : {"/", "/a", "/a/b.bin", "/a/", "//a//b", "/a?x=1&y=../..",
                                  "/%E2%82%AC", "/a;v=1/b", "/.../x", "/..a/b.", "/a%20b"}) {
    EXPECT_EQ(normal(target), target);
  }
}

TEST(NormalizeTarget, RemovesDotSegments) {
  EXPECT_EQ(normal("/a/../b"), "/b");
  EXPECT_EQ(normal("/a/./b"), "/a/b");
  EXPECT_EQ(normal("/a/b/.."), "/a/");
  EXPECT_EQ(normal("/a/."), "/a/");
  EXPECT_EQ(normal("/a/.."), "/");
  EXPECT_EQ(normal("/."), "/");
  EXPECT_EQ(normal("/a//../b"), "/a/b");
  EXPECT_EQ(normal("/a/b/../../c?q=/../"), "/c?q=/../");
}

TEST(NormalizeTarget, DecodesUnreservedEscapesAndUppercasesTheRest) {
  EXPECT_EQ(normal("/%61%2D%5f%7e%2e"), "/a-_~.");
  EXPECT_EQ(normal("/%e2%82%ac"), "/%E2%82%AC");
  EXPECT_EQ(normal("/a%3fb?c=%2f"), "/a%3Fb?c=%2f");
  EXPECT_EQ(normal("/a/%2e%2E/b"), "/b");
  EXPECT_EQ(normal("/a/%2e/b"), "/a/b");
}

TEST(NormalizeTarget, RefusesWhatClimbsAboveTheRoot) {
  for (std::string_view target : {"/..", "/../secret/x", "/%2e%2e/secret/x", "/%2E%2E/x",
                                  "/a/../../secret/x", "/./../x", "/a/b/../../../x", "/.%2e/x"}) {
    EXPECT_TRUE(refused(target)) << target;
  }
}

TEST(NormalizeTarget, RefusesWhatAnUpstreamCouldReadAsAnotherPath) {
  for (std::string_view target :
       {"/..%2fsecret/x", "/a%2Fb", "/a\\..\\b", "/a%5cb", "/a%00b", "/..;/secret", "/a/.;x/b",
        "/a%2", "/a%zz", "/a%", "/a#frag", "x", "", "*", "http://example.com/"}) {
    EXPECT_TRUE(refused(target)) << target;
  }
}

TEST(NormalizeTarget, NormalisingTwiceChangesNothing) {
  for (std::string_view target : {"/a/../b/./c/", "/%7Ea/%2e/x%41?%2e%2e", "/a/b/..", "//./x"}) {
    const std::string once = normal(target);
    EXPECT_EQ(normal(once), once) << target;
  }
}

}  // namespace
}  // namespace casserole::http
