#include "upstream/upstream_url.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace casserole::upstream {
namespace {

TEST(UpstreamUrl, HttpDefaultsToPort80) {
  const UpstreamUrl url = UpstreamUrl::parse("http://mirror.example.org");
  EXPECT_FALSE(url.tls);
  EXPECT_EQ(url.host, "mirror.example.org");
  EXPECT_EQ(url.port, "80");
  EXPECT_EQ(url.base_path, "");
  EXPECT_EQ(url.host_header, "mirror.example.org");
}

TEST(UpstreamUrl, HttpsDefaultsToPort443) {
  const UpstreamUrl url = UpstreamUrl::parse("https://mirror.example.org/");
  EXPECT_TRUE(url.tls);
  EXPECT_EQ(url.port, "443");
  EXPECT_EQ(url.base_path, "");
  EXPECT_EQ(url.host_header, "mirror.example.org");
}

TEST(UpstreamUrl, SchemeIsCaseInsensitive) {
  EXPECT_TRUE(UpstreamUrl::parse("HTTPS://mirror.example.org").tls);
}

TEST(UpstreamUrl, ExplicitPortGoesIntoTheHostHeader) {
  const UpstreamUrl url = UpstreamUrl::parse("https://localhost:9443/");
  EXPECT_EQ(url.host, "localhost");
  EXPECT_EQ(url.port, "9443");
  EXPECT_EQ(url.host_header, "localhost:9443");
}

TEST(UpstreamUrl, EmptyPortMeansTheDefault) {
  // RFC 3986 §3.2.3: port = *DIGIT, and an empty port is the scheme's default.
  const UpstreamUrl url = UpstreamUrl::parse("http://localhost:/");
  EXPECT_EQ(url.port, "80");
}

TEST(UpstreamUrl, BasePathLosesItsTrailingSlashes) {
  EXPECT_EQ(UpstreamUrl::parse("http://h/debian/").base_path, "/debian");
  EXPECT_EQ(UpstreamUrl::parse("http://h/debian//").base_path, "/debian");
  EXPECT_EQ(UpstreamUrl::parse("http://h/a/b").base_path, "/a/b");
}

TEST(UpstreamUrl, Ipv6LiteralHostHasNoBrackets) {
  const UpstreamUrl url = UpstreamUrl::parse("http://[::1]:9000/base");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, "9000");
  EXPECT_EQ(url.host_header, "[::1]:9000");
  EXPECT_EQ(url.base_path, "/base");

  const UpstreamUrl default_port = UpstreamUrl::parse("https://[2001:db8::5]");
  EXPECT_EQ(default_port.host, "2001:db8::5");
  EXPECT_EQ(default_port.port, "443");
  EXPECT_EQ(default_port.host_header, "[2001:db8::5]");
}

TEST(UpstreamUrl, TargetForPrependsTheBasePath) {
  EXPECT_EQ(UpstreamUrl::parse("http://h/debian/").target_for("/pool/a.deb?x=1"),
            "/debian/pool/a.deb?x=1");
  EXPECT_EQ(UpstreamUrl::parse("http://h").target_for("/pool/a.deb"), "/pool/a.deb");
  EXPECT_EQ(UpstreamUrl::parse("http://h/").target_for("/"), "/");
}

TEST(UpstreamUrl, RejectsWhatIsNotAnAbsoluteHttpUrl) {
  for (const char* bad :
       {"", "mirror.example.org", "/relative/path", "localhost:9000", "ftp://mirror.example.org/",
        "file:///etc/passwd", "http://", "http:///path", "http://exa mple.org/", "http://[::1/"}) {
    EXPECT_THROW(UpstreamUrl::parse(bad), std::invalid_argument) << bad;
  }
}

TEST(UpstreamUrl, RejectsAPortOutOfRange) {
  EXPECT_THROW(UpstreamUrl::parse("http://localhost:99999/"), std::invalid_argument);
}

}  // namespace
}  // namespace casserole::upstream
