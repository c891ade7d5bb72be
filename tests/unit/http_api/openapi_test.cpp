// GET /openapi.json is made from the route table: every route is in it with
// its method, its summary, its parameters and its permission, and every
// schema it names is defined. (The integration test
// http_conformance_test.cpp lints the served document with a real
// validator.)

#include "http_api/openapi.hpp"

#include <cctype>
#include <set>

#include <gtest/gtest.h>

#include "http_api/routes.hpp"

namespace bsm {
namespace {

using json = nlohmann::json;

std::string lower_method(const http_routes::route& r) {
  std::string m{boost::beast::http::to_string(r.method)};
  for (auto& c : m)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return m;
}

// Every "$ref" under `x`.
void collect_refs(const json& x, std::vector<std::string>& out) {
  if (x.is_object()) {
    for (const auto& [key, value] : x.items()) {
      if (key == "$ref" && value.is_string())
        out.push_back(value.get<std::string>());
      else
        collect_refs(value, out);
    }
  } else if (x.is_array()) {
    for (const auto& value : x)
      collect_refs(value, out);
  }
}

TEST(OpenApi, EveryRouteIsInTheDocumentWithItsMethodAndPermission) {
  auto routes = make_http_routes();
  auto doc = openapi_document(*routes);
  EXPECT_EQ(doc["openapi"], "3.1.0");
  size_t documented = 0;
  for (const auto& r : routes->routes()) {
    if (r.handler.dashboard)
      continue; // pages for a browser, not API
    ++documented;
    const auto& path = r.pattern.text();
    auto method = lower_method(r);
    ASSERT_TRUE(doc["paths"].contains(path)) << path << " is missing";
    ASSERT_TRUE(doc["paths"][path].contains(method))
      << method << " " << path << " is missing";
    const auto& op = doc["paths"][path][method];
    EXPECT_FALSE(r.handler.doc.summary.empty())
      << method << " " << path << " has no summary at its declaration";
    EXPECT_EQ(op["x-bsm-permission"], r.handler.permission.text()) << path;
    if (r.method == boost::beast::http::verb::get) {
      EXPECT_TRUE(doc["paths"][path].contains("head")) << path;
    }
  }
  EXPECT_GT(documented, 20u);
  EXPECT_TRUE(doc["paths"].contains("/openapi.json"));
}

TEST(OpenApi, PathParametersAreDeclaredAndOpenRoutesNeedNoCredentials) {
  auto doc = openapi_document(*make_http_routes());
  const auto& chat = doc["paths"]["/v1/agents/{name}/chat"]["post"];
  ASSERT_TRUE(chat.contains("parameters"));
  EXPECT_EQ(chat["parameters"][0]["name"], "name");
  EXPECT_EQ(chat["parameters"][0]["in"], "path");
  EXPECT_TRUE(chat["responses"].contains("415"));
  EXPECT_TRUE(chat["responses"].contains("403"));
  const auto& health = doc["paths"]["/healthz"]["get"];
  EXPECT_EQ(health["security"], json::array());
  EXPECT_FALSE(health["responses"].contains("401"));
  // The OpenAI routes answer errors in OpenAI's shape.
  EXPECT_EQ(doc["paths"]["/v1/chat/completions"]["post"]["responses"]["415"]
               ["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/OpenAIError");
}

TEST(OpenApi, EverySchemaItNamesIsDefinedAndEveryDefinedOneIsUsed) {
  auto doc = openapi_document(*make_http_routes());
  std::vector<std::string> refs;
  collect_refs(doc, refs);
  const std::string prefix = "#/components/schemas/";
  const auto& schemas = doc["components"]["schemas"];
  std::set<std::string> used;
  for (const auto& ref : refs) {
    ASSERT_EQ(ref.rfind(prefix, 0), 0u) << ref;
    auto name = ref.substr(prefix.size());
    EXPECT_TRUE(schemas.contains(name)) << name << " is not defined";
    used.insert(name);
  }
  for (const auto& [name, schema] : schemas.items())
    EXPECT_TRUE(used.count(name) > 0) << name << " is defined but unused";
}

} // namespace
} // namespace bsm
