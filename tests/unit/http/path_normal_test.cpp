#include "runtime/http/path_normal.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace bsm::http {
namespace {

std::string normal(std::string_view path) {
  auto result = normalize_path(path);
  EXPECT_TRUE(result) << path;
  return result ? *result : std::string{"<error>"};
}

void refused(std::string_view path, std::string_view why) {
  auto result = normalize_path(path);
  ASSERT_FALSE(result) << path;
  EXPECT_TRUE(is(result.error(), errc::invalid_argument));
  EXPECT_NE(render(result.error()).find(why), std::string::npos)
    << render(result.error());
}

TEST(PathNormalTest, KeepsANormalPath) {
  EXPECT_EQ(normal("/"), "/");
  EXPECT_EQ(normal("/v1/agents/legal/chat"), "/v1/agents/legal/chat");
}

TEST(PathNormalTest, CollapsesSlashes) {
  EXPECT_EQ(normal("//v1/agents"), "/v1/agents");
  EXPECT_EQ(normal("/v1//agents///legal"), "/v1/agents/legal");
  EXPECT_EQ(normal("//"), "/");
}

TEST(PathNormalTest, DropsATrailingSlash) {
  EXPECT_EQ(normal("/v1/agents/"), "/v1/agents");
  EXPECT_EQ(normal("/v1/agents//"), "/v1/agents");
}

TEST(PathNormalTest, DecodesUnreservedEscapesOnly) {
  EXPECT_EQ(normal("/v1/%61gents"), "/v1/agents");
  EXPECT_EQ(normal("/v1/actors/agents%2flegal/messages"),
            "/v1/actors/agents%2Flegal/messages");
  EXPECT_EQ(normal("/v1/x%20y"), "/v1/x%20y");
}

TEST(PathNormalTest, RefusesDotSegments) {
  refused("/v1/../metrics", "dot segment");
  refused("/v1/./agents", "dot segment");
  refused("/v1/%2e%2e/metrics", "dot segment");
  refused("/v1/%2E/agents", "dot segment");
  refused("/..", "dot segment");
}

TEST(PathNormalTest, RefusesPathParameters) {
  refused("/v1/agents;x=1", "';'");
  refused("/v1;/agents", "';'");
}

TEST(PathNormalTest, RefusesMalformedEscapes) {
  refused("/v1/agents%", "malformed");
  refused("/v1/agents%4", "malformed");
  refused("/v1/agents%zz", "malformed");
  refused("/v1/%00", "NUL");
}

TEST(PathNormalTest, NeedsALeadingSlash) {
  refused("", "start with '/'");
  refused("v1/agents", "start with '/'");
  refused("*", "start with '/'");
}

TEST(PathNormalTest, KeepsCase) {
  EXPECT_EQ(normal("/V1/Agents"), "/V1/Agents");
}

} // namespace
} // namespace bsm::http
