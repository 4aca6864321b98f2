#include "http/etag.hpp"

#include <gtest/gtest.h>

namespace casserole::http {
namespace {

EntityTag tag(std::string_view text) {
  return parse_entity_tag(text).value();
}

TEST(ParseEntityTag, StrongAndWeak) {
  EXPECT_EQ(parse_entity_tag("\"xyzzy\""), (EntityTag{false, "\"xyzzy\""}));
  EXPECT_EQ(parse_entity_tag("W/\"xyzzy\""), (EntityTag{true, "\"xyzzy\""}));
  EXPECT_EQ(parse_entity_tag("\"\""), (EntityTag{false, "\"\""}));
  EXPECT_EQ(parse_entity_tag(" \"a,b\\\" "), (EntityTag{false, "\"a,b\\\""}));
  EXPECT_EQ(parse_entity_tag("\"\xc3\xa9\""), (EntityTag{false, "\"\xc3\xa9\""}));
}

TEST(ParseEntityTag, Rejects) {
  for (std::string_view value :
       {"", "xyzzy", "\"xyzzy", "xyzzy\"", "w/\"x\"", "W/x", "W/", "W/ \"x\"", "\"x\"\"y\"",
        "\"x\" \"y\"", "\"x\",", "\"a b\"", "\"a\x7f\"", "\"a\tb\"", "*"}) {
    EXPECT_EQ(parse_entity_tag(value), std::nullopt) << value;
  }
}

TEST(EntityTag, ToStringGivesTheFieldValueBack) {
  EXPECT_EQ(tag("W/\"1\"").to_string(), "W/\"1\"");
  EXPECT_EQ(tag("\"1\"").to_string(), "\"1\"");
}

// The table of RFC 9110 §8.8.3.2.
TEST(EntityTagComparison, Rfc9110Table) {
  struct Row {
    std::string_view a, b;
    bool strong, weak;
  };
  for (const Row& row :
       {Row{"W/\"1\"", "W/\"1\"", false, true}, Row{"W/\"1\"", "W/\"2\"", false, false},
        Row{"W/\"1\"", "\"1\"", false, true}, Row{"\"1\"", "\"1\"", true, true}}) {
    EXPECT_EQ(strong_compare(tag(row.a), tag(row.b)), row.strong) << row.a << " " << row.b;
    EXPECT_EQ(strong_compare(tag(row.b), tag(row.a)), row.strong) << row.b << " " << row.a;
    EXPECT_EQ(weak_compare(tag(row.a), tag(row.b)), row.weak) << row.a << " " << row.b;
    EXPECT_EQ(weak_compare(tag(row.b), tag(row.a)), row.weak) << row.b << " " << row.a;
  }
}

TEST(IfNoneMatch, HitsOnWeakMatchAnywhereInTheList) {
  const std::optional<EntityTag> current = tag("\"v2\"");
  EXPECT_TRUE(if_none_match_hits("\"v2\"", current));
  EXPECT_TRUE(if_none_match_hits("W/\"v2\"", current));
  EXPECT_TRUE(if_none_match_hits("\"v1\", W/\"v2\"", current));
  EXPECT_TRUE(if_none_match_hits(" , \"v1\" ,,\t\"v2\" ,", current));
  EXPECT_TRUE(if_none_match_hits("\"v2\"", tag("W/\"v2\"")));
  EXPECT_FALSE(if_none_match_hits("\"v1\", \"v3\"", current));
}

TEST(IfNoneMatch, TagsMayHoldCommasAndBackslashes) {
  EXPECT_TRUE(if_none_match_hits("\"a\\\", \"b,c\"", tag("\"b,c\"")));
  EXPECT_TRUE(if_none_match_hits("\"a\\\", \"b,c\"", tag("\"a\\\"")));
  EXPECT_FALSE(if_none_match_hits("\"a\\\", \"b,c\"", tag("\"b\"")));
}

TEST(IfNoneMatch, Star) {
  EXPECT_TRUE(if_none_match_hits("*", tag("W/\"x\"")));
  EXPECT_TRUE(if_none_match_hits(" * ", tag("\"x\"")));
  EXPECT_FALSE(if_none_match_hits("*", std::nullopt));
}

TEST(IfNoneMatch, AbsentMalformedOrNoCurrentTagNeverHits) {
  const std::optional<EntityTag> current = tag("\"v2\"");
  EXPECT_FALSE(if_none_match_hits("", current));
  EXPECT_FALSE(if_none_match_hits(",", current));
  EXPECT_FALSE(if_none_match_hits("v2", current));
  EXPECT_FALSE(if_none_match_hits("\"v2\" \"v3\"", current));
  EXPECT_FALSE(if_none_match_hits("\"v2\", *", current));
  EXPECT_FALSE(if_none_match_hits("\"v2\", junk", current));
  EXPECT_FALSE(if_none_match_hits("\"v2\"", std::nullopt));
}

TEST(IfMatch, PassesOnStrongMatchOnly) {
  const std::optional<EntityTag> current = tag("\"v2\"");
  EXPECT_TRUE(if_match_passes("\"v2\"", current));
  EXPECT_TRUE(if_match_passes("\"v1\", \"v2\"", current));
  EXPECT_FALSE(if_match_passes("W/\"v2\"", current));
  EXPECT_FALSE(if_match_passes("\"v2\"", tag("W/\"v2\"")));
  EXPECT_FALSE(if_match_passes("\"v1\"", current));
}

TEST(IfMatch, StarNeedsARepresentation) {
  EXPECT_TRUE(if_match_passes("*", tag("W/\"x\"")));
  EXPECT_FALSE(if_match_passes("*", std::nullopt));
}

TEST(IfMatch, AbsentPassesMalformedFails) {
  EXPECT_TRUE(if_match_passes("", tag("\"v2\"")));
  EXPECT_TRUE(if_match_passes(" ", std::nullopt));
  EXPECT_FALSE(if_match_passes("v2", tag("\"v2\"")));
  EXPECT_FALSE(if_match_passes(",", tag("\"v2\"")));
  EXPECT_FALSE(if_match_passes("\"v2\"", std::nullopt));
}

}  // namespace
}  // namespace casserole::http
