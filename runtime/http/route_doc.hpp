#pragma once

// What a route tells about itself, written where the route is declared
// (http_api/routes.cpp) and read by the OpenAPI generator
// (http_api/openapi.hpp) and the front (which body it reads). Schema names
// are keys of http_api/openapi_schemas.cpp. Path parameters come from the
// route's pattern, the permission from the route.

#include <string>
#include <utility>
#include <vector>

namespace bsm::http {

/// The body a route reads.
enum class body_kind {
  /// None: a body is ignored.
  none,
  /// A JSON object (Content-Type application/json, or none given).
  json,
  /// JSON or protobuf; the handler checks the Content-Type itself.
  json_or_protobuf,
  /// JSON, or YAML as application/yaml; the handler reads either.
  json_or_yaml,
};

struct query_doc {
  std::string name;
  /// A JSON Schema type: "string", "integer", "boolean".
  std::string type;
  std::string description;
};

struct route_doc {
  std::string summary;
  body_kind body = body_kind::none;
  /// The request body's schema; empty: no body.
  std::string request_schema;
  /// The success answer's schema and status; empty schema: no JSON body
  /// (text, a page, an empty answer).
  std::string response_schema;
  unsigned status = 200;
  /// Other success statuses with the same answer (a tell's 202 beside an
  /// ask's 200, a created user's 201).
  std::vector<unsigned> also_statuses;
  /// The success answer's media type.
  std::string media_type = "application/json";
  std::vector<query_doc> query;
  /// Statuses the route answers besides the ones every route of its kind
  /// can (401/403 for a permission, 404 for a path parameter, 413/415 for
  /// a body, 429, 500, 503).
  std::vector<unsigned> errors;

  route_doc() = default;
  explicit route_doc(std::string text) : summary(std::move(text)) {}

  /// Reads a JSON body of `schema`.
  route_doc& takes(std::string schema, body_kind kind = body_kind::json) {
    request_schema = std::move(schema);
    body = kind;
    return *this;
  }

  /// Answers `schema` with `code`.
  route_doc& returns(std::string schema, unsigned code = 200) {
    response_schema = std::move(schema);
    status = code;
    return *this;
  }

  /// Answers `code` too, with the same schema.
  route_doc& also(unsigned code) {
    also_statuses.push_back(code);
    return *this;
  }

  /// Answers a body of `type` (text/plain, text/event-stream, ...).
  route_doc& as(std::string type) {
    media_type = std::move(type);
    return *this;
  }

  route_doc& param(std::string name, std::string type,
                   std::string description) {
    query.push_back({std::move(name), std::move(type), std::move(description)});
    return *this;
  }

  route_doc& fails(std::vector<unsigned> codes) {
    errors.insert(errors.end(), codes.begin(), codes.end());
    return *this;
  }
};

} // namespace bsm::http
