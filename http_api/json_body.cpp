#include "http_api/json_body.hpp"

#include <algorithm>
#include <cctype>

#include "runtime/ascii.hpp"
#include "runtime/error.hpp"
#include "runtime/http/json_depth.hpp"

namespace bsm::http_handlers {

namespace bhttp = boost::beast::http;

std::string media_type(const http::request& req) {
  return media_type_of(req[bhttp::field::content_type]);
}

std::string media_type_of(boost::beast::string_view value) {
  std::string result{value.substr(0, value.find(';'))};
  result.erase(std::remove_if(result.begin(), result.end(),
                              [](unsigned char c) { return std::isspace(c); }),
               result.end());
  return ascii_lower(result);
}

bool is_json_request(const http::request& req) {
  auto type = media_type(req);
  return type.empty() || type == "application/json";
}

bool is_yaml_request(const http::request& req) {
  auto type = media_type(req);
  return type == "application/yaml" || type == "application/x-yaml"
         || type == "text/yaml";
}

caf::expected<nlohmann::json> json_body(const http::request& req,
                                        const http_options& opts) {
  const auto& body = req.body();
  if (http::json_depth(body, opts.max_json_depth) > opts.max_json_depth)
    return make_error(errc::invalid_argument,
                      "the JSON body is nested deeper than "
                        + std::to_string(opts.max_json_depth) + " levels");
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded())
    return make_error(errc::invalid_argument, "the body is not valid JSON");
  return doc;
}

caf::expected<nlohmann::json> json_object_body(const http::request& req,
                                               const http_options& opts) {
  auto doc = json_body(req, opts);
  if (!doc)
    return doc;
  if (!doc->is_object())
    return make_error(errc::invalid_argument, "the body must be a JSON object");
  return doc;
}

bool asks_for_instead_of_json(std::string_view accept, std::string_view type) {
  auto types = ascii_lower(accept);
  return types.find(type) != std::string::npos
         && types.find("application/json") == std::string::npos;
}

} // namespace bsm::http_handlers
