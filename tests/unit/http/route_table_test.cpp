#include "runtime/http/route_table.hpp"

#include <gtest/gtest.h>

#include "runtime/http/exchange.hpp"
#include "runtime/http/json_depth.hpp"

namespace {

namespace bhttp = boost::beast::http;
using table = bsm::http::route_table<int>;

table make_table() {
  table t;
  t.add(bhttp::verb::get, "/v1/actors", 1);
  t.add(bhttp::verb::post, "/v1/actors/{name}/messages", 2);
  t.add(bhttp::verb::get, "/v1/actors/{name}/messages", 3);
  return t;
}

TEST(RouteTable, MatchesLiteralsAndDecodesParameters) {
  auto t = make_table();
  auto m = t.match(bhttp::verb::post, "/v1/actors/agents%2Flegal/messages");
  ASSERT_NE(m.found, nullptr);
  EXPECT_EQ(m.found->handler, 2);
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0].first, "name");
  EXPECT_EQ(m.params[0].second, "agents/legal");
  EXPECT_EQ(t.match(bhttp::verb::get, "/v1/actors").found->handler, 1);
}

TEST(RouteTable, ReportsTheAllowedMethodsOfAKnownPath) {
  auto t = make_table();
  auto m = t.match(bhttp::verb::delete_, "/v1/actors/x/messages");
  EXPECT_EQ(m.found, nullptr);
  EXPECT_EQ(bsm::http::allow_header(m.allowed), "GET, HEAD, POST, OPTIONS");
}

TEST(RouteTable, HeadFindsTheGetRouteAndIsAllowedWithIt) {
  auto t = make_table();
  auto m = t.match(bhttp::verb::head, "/v1/actors");
  ASSERT_NE(m.found, nullptr);
  EXPECT_EQ(m.found->handler, 1);
  // A path with a POST route only has no HEAD.
  table posts;
  posts.add(bhttp::verb::post, "/v1/things", 1);
  auto none = posts.match(bhttp::verb::head, "/v1/things");
  EXPECT_EQ(none.found, nullptr);
  EXPECT_EQ(bsm::http::allow_header(none.allowed), "POST, OPTIONS");
  auto other = t.match(bhttp::verb::put, "/v1/actors");
  EXPECT_EQ(bsm::http::allow_header(other.allowed), "GET, HEAD, OPTIONS");
}

TEST(RouteTable, RefusesEmptyAndMalformedParameters) {
  auto t = make_table();
  EXPECT_EQ(t.match(bhttp::verb::post, "/v1/actors//messages").found, nullptr);
  EXPECT_EQ(t.match(bhttp::verb::post, "/v1/actors/%zz/messages").found,
            nullptr);
  EXPECT_EQ(t.match(bhttp::verb::get, "/v1/actors/").found, nullptr);
  EXPECT_TRUE(t.match(bhttp::verb::get, "/nope").allowed.empty());
}

TEST(RouteTable, RefusesPatternsWithoutLeadingSlash) {
  EXPECT_THROW(bsm::http::path_pattern{"v1"}, std::invalid_argument);
}

TEST(PercentDecode, DecodesEscapesAndOptionallyPlus) {
  EXPECT_EQ(bsm::http::percent_decode("a%2Fb+c"), "a/b+c");
  EXPECT_EQ(bsm::http::percent_decode("a%2fb+c", true), "a/b c");
  EXPECT_FALSE(bsm::http::percent_decode("a%2"));
  EXPECT_FALSE(bsm::http::percent_decode("%g0"));
}

TEST(JsonDepth, CountsBracketsOutsideStrings) {
  EXPECT_EQ(bsm::http::json_depth(R"({"a":[1,{"b":2}]})", 10), 3u);
  EXPECT_EQ(bsm::http::json_depth(R"({"a":"[[[[\"{{"})", 10), 1u);
  EXPECT_EQ(bsm::http::json_depth("42", 10), 0u);
  // Stops early on hostile input.
  EXPECT_EQ(bsm::http::json_depth(std::string(100000, '['), 64), 65u);
}

} // namespace
