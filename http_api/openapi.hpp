#pragma once

// GET /openapi.json: an OpenAPI 3.1 document made from the one route table
// (routes.cpp), each route with the route_doc written at its declaration
// and the permission it requires (`x-bsm-permission`). The shapes it names
// are in openapi_schemas.cpp. Dashboard files are not in it: they are
// pages for a browser, not API (API.md, "Dashboard").

#include <nlohmann/json.hpp>

#include "actors/http_bridge.hpp"

namespace bsm {

/// The document for `routes`. Every route but the dashboard's is in it,
/// GET routes with their HEAD too.
nlohmann::json openapi_document(const http_routes& routes);

/// components.schemas: the JSON Schema of each request and answer shape a
/// route_doc names (API.md's shapes).
nlohmann::json openapi_schemas();

} // namespace bsm
