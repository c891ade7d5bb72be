#include "runtime/security/permission.hpp"
#include "runtime/security/permission_template.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace bsm::security {
namespace {

permission_set grants(std::vector<std::string> xs) {
  auto result = permission_set::parse(xs);
  EXPECT_TRUE(result) << (result ? "" : render(result.error()));
  return result ? *result : permission_set{};
}

TEST(PermissionTest, ParsesEachForm) {
  auto p = parse_permission("agents:read", true);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->area, "agents");
  EXPECT_EQ(p->resource, "");
  EXPECT_EQ(p->action, "read");
  p = parse_permission("actors:agents/legal:inject:bsm.v1.ChatRequest", true);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->resource, "agents/legal");
  EXPECT_EQ(p->action, "inject");
  EXPECT_EQ(p->qualifier, "bsm.v1.ChatRequest");
  EXPECT_EQ(p->to_string(), "actors:agents/legal:inject:bsm.v1.ChatRequest");
}

TEST(PermissionTest, RefusesMalformedText) {
  for (const char* text :
       {"", "agents", "agents:", ":read", "a:b:c:d:e", "agents:le gal:chat",
        "agents:legal:chat:", "agents::chat", "ag*nts:read", "agents:read*"}) {
    auto p = parse_permission(text);
    ASSERT_FALSE(p) << text;
    EXPECT_TRUE(is(p.error(), errc::invalid_argument)) << text;
  }
  EXPECT_FALSE(parse_permission(std::string(600, 'a') + ":read"));
}

TEST(PermissionTest, RequiredPermissionsHaveNoWildcards) {
  EXPECT_FALSE(parse_permission("*", true));
  EXPECT_FALSE(parse_permission("agents:*", true));
  EXPECT_FALSE(parse_permission("agents:*:chat", true));
  EXPECT_FALSE(parse_permission("agents:leg*:chat", true));
  EXPECT_TRUE(parse_permission("agents:leg*:chat"));
}

TEST(PermissionTest, DefaultDeny) {
  permission_set none;
  EXPECT_FALSE(none.allows("agents:read"));
  EXPECT_FALSE(grants({"agents:read"}).allows("cluster:read"));
}

TEST(PermissionTest, StarCoversEverything) {
  auto all = grants({"*"});
  EXPECT_TRUE(all.allows("agents:read"));
  EXPECT_TRUE(all.allows("actors:agents/legal:inject:bsm.v1.ChatRequest"));
}

TEST(PermissionTest, AreaWildcardCoversTheAreaOnly) {
  auto admin = grants({"admin:*"});
  EXPECT_TRUE(admin.allows("admin:users"));
  EXPECT_TRUE(admin.allows("admin:alice:write"));
  EXPECT_FALSE(admin.allows("agents:read"));
}

TEST(PermissionTest, ActionWithoutResourceCoversEveryResource) {
  auto chat = grants({"agents:chat"});
  EXPECT_TRUE(chat.allows("agents:chat"));
  EXPECT_TRUE(chat.allows("agents:legal:chat"));
  EXPECT_TRUE(chat.allows("agents:legal:chat:whatever"));
  EXPECT_FALSE(chat.allows("agents:legal:read"));
}

TEST(PermissionTest, ResourceGrantCoversThatResourceOnly) {
  auto legal = grants({"agents:legal:chat"});
  EXPECT_TRUE(legal.allows("agents:legal:chat"));
  EXPECT_FALSE(legal.allows("agents:finance:chat"));
  EXPECT_FALSE(legal.allows("agents:legal2:chat"));
  // A grant on one resource is not a grant on the whole area.
  EXPECT_FALSE(legal.allows("agents:chat"));
}

TEST(PermissionTest, ResourcePrefixes) {
  auto some = grants({"actors:agents/*:inject"});
  EXPECT_TRUE(some.allows("actors:agents/legal:inject:bsm.v1.ChatRequest"));
  EXPECT_FALSE(some.allows("actors:memory:inject:bsm.v1.MemoryPut"));
  auto any = grants({"agents:*:chat"});
  EXPECT_TRUE(any.allows("agents:legal:chat"));
  EXPECT_TRUE(any.allows("agents:chat"));
}

TEST(PermissionTest, QualifierNarrowsTheGrant) {
  auto only_chat = grants({"actors:agents/legal:inject:bsm.v1.ChatRequest"});
  EXPECT_TRUE(
    only_chat.allows("actors:agents/legal:inject:bsm.v1.ChatRequest"));
  EXPECT_FALSE(only_chat.allows("actors:agents/legal:inject:bsm.v1.Ping"));
  EXPECT_FALSE(
    only_chat.allows("actors:agents/finance:inject:bsm.v1.ChatRequest"));
}

TEST(PermissionTest, MalformedRequiredTextIsDenied) {
  EXPECT_FALSE(grants({"*"}).allows("agents:le gal:chat"));
}

TEST(PermissionTest, UnknownSegmentsAskWhetherSomeValueCouldPass) {
  permission inject_any_type{"actors", "agents/legal", "inject",
                             unknown_segment};
  EXPECT_TRUE(grants({"actors:agents/legal:inject:bsm.v1.ChatRequest"})
                .allows(inject_any_type));
  EXPECT_FALSE(grants({"actors:agents/finance:inject:bsm.v1.ChatRequest"})
                 .allows(inject_any_type));
  permission chat_some_agent{"agents", unknown_segment, "chat", ""};
  EXPECT_TRUE(grants({"agents:legal:chat"}).allows(chat_some_agent));
  EXPECT_FALSE(grants({"agents:legal:read"}).allows(chat_some_agent));
}

TEST(PermissionTest, GrantProblemExplains) {
  EXPECT_EQ(grant_problem("agents:read"), "");
  EXPECT_NE(grant_problem("agents").find("is malformed"), std::string::npos);
}

TEST(PermissionTest, ParseReportsTheFirstBadGrant) {
  auto set = permission_set::parse({"agents:read", "bad"});
  ASSERT_FALSE(set);
  EXPECT_NE(render(set.error()).find("'bad'"), std::string::npos);
}

} // namespace
} // namespace bsm::security

namespace bsm::security {
namespace {

TEST(PermissionTemplateTest, OpenNeedsNothing) {
  auto t = permission_template::parse("open");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->open());
}

TEST(PermissionTemplateTest, FillsPathParameters) {
  auto t = permission_template::parse("agents:{name}:chat");
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->open());
  auto p = t->resolve({{"name", "legal"}});
  EXPECT_EQ(p.to_string(), "agents:legal:chat");
}

TEST(PermissionTemplateTest, ValuesCannotForgeSeparators) {
  auto t = permission_template::parse("agents:{name}:chat");
  ASSERT_TRUE(t);
  auto p = t->resolve({{"name", "legal:read:x"}});
  EXPECT_EQ(p.resource, "legal:read:x");
  EXPECT_EQ(p.action, "chat");
  permission_set set;
  set.add(*parse_permission("agents:legal:read"));
  EXPECT_FALSE(set.allows(p));
}

TEST(PermissionTemplateTest, LatePartsAreUnknownUntilGiven) {
  auto t = permission_template::parse("actors:{name}:inject:<type>");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->late_parts(), std::vector<std::string>{"type"});
  auto early = t->resolve({{"name", "agents/legal"}});
  EXPECT_EQ(early.qualifier, unknown_segment);
  auto late
    = t->resolve({{"name", "agents/legal"}}, {{"type", "bsm.v1.ChatRequest"}});
  EXPECT_EQ(late.to_string(), "actors:agents/legal:inject:bsm.v1.ChatRequest");
}

TEST(PermissionTemplateTest, RefusesBadTemplates) {
  for (const char* text : {"", "agents", "{area}:read", "agents:{x}:{action}",
                           "a:b:c:d:e", "agents:read:"})
    EXPECT_FALSE(permission_template::parse(text)) << text;
}

} // namespace
} // namespace bsm::security
