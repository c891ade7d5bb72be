// The route table: every route has exactly one permission, and the open
// ones are exactly those API.md names.

#include "http_api/routes.hpp"

#include <set>

#include <gtest/gtest.h>

namespace bsm {
namespace {

std::string describe(const http_routes::route& r) {
  return std::string{boost::beast::http::to_string(r.method)} + " "
         + r.pattern.text();
}

// The {parameters} of a pattern, each with a made-up value.
http::path_params made_up_params(const std::string& pattern) {
  http::path_params result;
  for (size_t i = pattern.find('{'); i != std::string::npos;
       i = pattern.find('{', i + 1))
    result.emplace_back(pattern.substr(i + 1, pattern.find('}', i) - i - 1),
                        "x");
  return result;
}

TEST(HttpRoutes, EveryRouteHasItsPermission) {
  auto routes = make_http_routes();
  ASSERT_FALSE(routes->routes().empty());
  for (const auto& r : routes->routes()) {
    const auto& p = r.handler.permission;
    ASSERT_FALSE(p.text().empty()) << describe(r) << " has no permission";
    if (p.open())
      continue;
    std::map<std::string, std::string> late;
    for (const auto& name : p.late_parts())
      late[name] = "y";
    // Once the request is read, nothing of the permission is unknown.
    auto need = p.resolve(made_up_params(r.pattern.text()), late);
    EXPECT_NE(need.resource, security::unknown_segment) << describe(r);
    EXPECT_NE(need.qualifier, security::unknown_segment) << describe(r);
  }
}

TEST(HttpRoutes, OnlyHealthReadinessAndLoginAreOpen) {
  std::set<std::string> open;
  auto routes = make_http_routes();
  for (const auto& r : routes->routes())
    if (r.handler.permission.open())
      open.insert(describe(r));
  EXPECT_EQ(open, (std::set<std::string>{"GET /healthz", "GET /readyz",
                                         "POST /v1/auth/token"}));
}

TEST(HttpRoutes, ParametersInPermissionsNameParametersOfThePath) {
  auto routes = make_http_routes();
  for (const auto& r : routes->routes()) {
    const auto& text = r.handler.permission.text();
    for (size_t i = text.find('{'); i != std::string::npos;
         i = text.find('{', i + 1)) {
      auto name = text.substr(i, text.find('}', i) - i + 1);
      EXPECT_NE(r.pattern.text().find(name), std::string::npos)
        << describe(r) << ": " << text << " uses " << name;
    }
  }
}

TEST(HttpRoutes, BadPermissionTextIsABugFoundAtOnce) {
  EXPECT_THROW(permission("agents"), std::invalid_argument);
  EXPECT_NO_THROW(permission("agents:{name}:chat"));
}

} // namespace
} // namespace bsm
