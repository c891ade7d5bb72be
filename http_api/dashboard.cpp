#include "http_api/dashboard.hpp"

#include "http_api/routes.hpp"

namespace bsm {

namespace {

namespace bhttp = boost::beast::http;

http_route serve(const static_asset& asset) {
  http_route route;
  route.permission = permission("dashboard:read");
  route.dashboard = true;
  route.from_memory
    = [&asset](const http_bridge_env&, const http::exchange_ptr& ex) {
        http::response res{bhttp::status::ok, 11};
        res.set(bhttp::field::content_type,
                boost::beast::string_view{asset.content_type.data(),
                                          asset.content_type.size()});
        res.set(bhttp::field::cache_control, "no-cache");
        res.body().assign(asset.body.data(), asset.body.size());
        ex->respond(std::move(res));
      };
  return route;
}

} // namespace

void add_dashboard_routes(http_routes& routes) {
  for (const auto& asset : dashboard_assets()) {
    auto path = asset.path == "/index.html" ? std::string{"/"}
                                            : std::string{asset.path};
    routes.add(bhttp::verb::get, std::move(path), serve(asset));
  }
}

} // namespace bsm
