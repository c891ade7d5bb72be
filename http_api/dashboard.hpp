#pragma once

// The web dashboard (API.md, "Dashboard"): static files from web/dashboard,
// compiled into the binary (cmake/EmbedFiles.cmake), served from memory
// with the browser security headers.

#include <string_view>
#include <vector>

#include "actors/http_bridge.hpp"

namespace bsm {

struct static_asset {
  /// "/index.html", "/dashboard.js", ...
  std::string_view path;
  std::string_view content_type;
  std::string_view body;
};

/// Every dashboard file.
const std::vector<static_asset>& dashboard_assets();

/// Adds GET routes for the dashboard: "/" is index.html.
void add_dashboard_routes(http_routes& routes);

} // namespace bsm
