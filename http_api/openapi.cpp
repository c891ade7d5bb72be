#include "http_api/openapi.hpp"

#include <cctype>
#include <set>
#include <string>

#include <boost/beast/http/status.hpp>

namespace bsm {

namespace {

using json = nlohmann::json;
namespace bhttp = boost::beast::http;

std::string lower(boost::beast::string_view text) {
  std::string result{text};
  for (auto& c : result)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return result;
}

// "get" + "/v1/agents/{name}/chat" -> "get_v1_agents_name_chat": unique,
// as (method, pattern) is.
std::string operation_id(const std::string& method,
                         const std::string& pattern) {
  std::string result = method;
  for (char c : pattern) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0)
      result.push_back(c);
    else if (c == '/' || c == '-' || c == '.')
      result.push_back('_');
  }
  return result;
}

std::vector<std::string> path_params(const std::string& pattern) {
  std::vector<std::string> result;
  for (size_t open = pattern.find('{'); open != std::string::npos;
       open = pattern.find('{', open + 1)) {
    auto close = pattern.find('}', open);
    result.push_back(pattern.substr(open + 1, close - open - 1));
  }
  return result;
}

json schema_ref(const std::string& name) {
  return {{"$ref", "#/components/schemas/" + name}};
}

std::string reason(unsigned status) {
  return std::string{
    bhttp::obsolete_reason(static_cast<bhttp::status>(status))};
}

// Errors any route of this kind can answer, besides its own.
std::set<unsigned> error_statuses(const http_route& route,
                                  const std::vector<std::string>& params) {
  const auto& doc = route.doc;
  std::set<unsigned> result{doc.errors.begin(), doc.errors.end()};
  result.insert(429);
  if (!route.permission.open()) {
    result.insert(401);
    result.insert(403);
  }
  if (!params.empty())
    result.insert(404);
  if (!params.empty() || !doc.query.empty())
    result.insert(400);
  if (doc.body != http::body_kind::none) {
    result.insert({400, 413, 415});
  }
  if (route.by_actor)
    result.insert(503);
  return result;
}

json parameters(const std::vector<std::string>& params,
                const http::route_doc& doc) {
  json result = json::array();
  for (const auto& name : params)
    result.push_back({{"name", name},
                      {"in", "path"},
                      {"required", true},
                      {"schema", {{"type", "string"}}}});
  for (const auto& q : doc.query)
    result.push_back({{"name", q.name},
                      {"in", "query"},
                      {"required", false},
                      {"description", q.description},
                      {"schema", {{"type", q.type}}}});
  return result;
}

json request_body(const http::route_doc& doc) {
  json content{
    {"application/json", {{"schema", schema_ref(doc.request_schema)}}}};
  if (doc.body == http::body_kind::json_or_yaml)
    content["application/yaml"] = {{"schema", {{"type", "string"}}}};
  if (doc.body == http::body_kind::json_or_protobuf)
    content["application/x-protobuf"] = {
      {"schema",
       {{"type", "string"}, {"contentMediaType", "application/x-protobuf"}}}};
  return {{"required", true}, {"content", std::move(content)}};
}

json success(const http::route_doc& doc, unsigned status) {
  json result{{"description", reason(status)}};
  if (doc.media_type == "application/json" && !doc.response_schema.empty())
    result["content"]
      = {{doc.media_type, {{"schema", schema_ref(doc.response_schema)}}}};
  else if (doc.media_type != "application/json")
    result["content"] = {{doc.media_type, {{"schema", {{"type", "string"}}}}}};
  return result;
}

json responses(const http_route& route, const std::vector<std::string>& params,
               bool head) {
  json result = json::object();
  std::vector<unsigned> ok{route.doc.status};
  ok.insert(ok.end(), route.doc.also_statuses.begin(),
            route.doc.also_statuses.end());
  for (auto status : ok) {
    auto answer = success(route.doc, status);
    if (head)
      answer.erase("content");
    result[std::to_string(status)] = std::move(answer);
  }
  auto error_schema = route.respond_error ? "OpenAIError" : "Error";
  for (auto status : error_statuses(route, params)) {
    json answer{{"description", reason(status)}};
    if (!head)
      answer["content"]
        = {{"application/json", {{"schema", schema_ref(error_schema)}}}};
    result[std::to_string(status)] = std::move(answer);
  }
  return result;
}

json operation(const http_routes::route& r, const std::string& method) {
  const auto& route = r.handler;
  const auto& pattern = r.pattern.text();
  auto params = path_params(pattern);
  bool head = method == "head";
  json op{{"operationId", operation_id(method, pattern)},
          {"summary", head ? "The headers of GET " + pattern + ", no body"
                           : route.doc.summary},
          {"x-bsm-permission", route.permission.text()},
          {"responses", responses(route, params, head)}};
  auto ps = parameters(params, route.doc);
  if (!ps.empty())
    op["parameters"] = std::move(ps);
  if (!route.doc.request_schema.empty())
    op["requestBody"] = request_body(route.doc);
  if (route.permission.open())
    op["security"] = json::array();
  return op;
}

json info() {
  return {
    {"title", "BSM-AgentOS node API"},
    {"version", BSM_VERSION},
    {"summary", "What a node serves, generated from its route table."},
    {"license", {{"name", "Proprietary"}, {"identifier", "LicenseRef-BSM"}}}};
}

} // namespace

nlohmann::json openapi_document(const http_routes& routes) {
  json paths = json::object();
  for (const auto& r : routes.routes()) {
    if (r.handler.dashboard)
      continue;
    auto method = lower(bhttp::to_string(r.method));
    auto& item = paths[r.pattern.text()];
    item[method] = operation(r, method);
    if (r.method == bhttp::verb::get)
      item["head"] = operation(r, "head");
  }
  return {
    {"openapi", "3.1.0"},
    {"info", info()},
    {"servers", {{{"url", "/"}}}},
    {"security", {{{"bearer", json::array()}}}},
    {"paths", std::move(paths)},
    {"components",
     {{"schemas", openapi_schemas()},
      {"securitySchemes",
       {{"bearer",
         {{"type", "http"},
          {"scheme", "bearer"},
          {"description", "A JWT or an API key (bsm_<id>_<secret>)"}}}}}}}};
}

} // namespace bsm
