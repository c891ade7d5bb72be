#pragma once

// Reading a JSON object from a request body, with the bridge's limits.

#include <string_view>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "runtime/http/exchange.hpp"
#include "runtime/http/http_options.hpp"

namespace bsm::http_handlers {

/// "Application/JSON; charset=utf-8" -> "application/json".
std::string media_type(const http::request& req);

/// The same for any header value: parameters and blanks dropped, lowercase.
std::string media_type_of(boost::beast::string_view value);

/// True if the request says its body is JSON (or says nothing).
bool is_json_request(const http::request& req);

/// True for a YAML body (application/yaml, application/x-yaml, text/yaml).
bool is_yaml_request(const http::request& req);

/// True if an Accept header value asks for `type` (lowercase) and not for
/// JSON: the routes that can answer both pick `type` then.
bool asks_for_instead_of_json(std::string_view accept, std::string_view type);

/// The body as JSON of any type. Errors: invalid_argument for invalid JSON
/// or nesting deeper than `opts.max_json_depth`.
caf::expected<nlohmann::json> json_body(const http::request& req,
                                        const http_options& opts);

/// The body as a JSON object. Errors: invalid_argument for invalid JSON,
/// another JSON type, or nesting deeper than `opts.max_json_depth`.
caf::expected<nlohmann::json> json_object_body(const http::request& req,
                                               const http_options& opts);

} // namespace bsm::http_handlers
