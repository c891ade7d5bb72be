#include "http_api/routes.hpp"

#include "http_api/dashboard.hpp"
#include "http_api/handlers.hpp"

namespace bsm {

namespace {

http_route from_memory(
  std::function<void(const http_bridge_env&, const http::exchange_ptr&)> f) {
  return http_route{std::move(f), nullptr, false};
}

http_route by_actor(
  std::function<void(http_bridge_pointer, const http::exchange_ptr&)> f) {
  return http_route{nullptr, std::move(f), false};
}

} // namespace

std::shared_ptr<const http_routes> make_http_routes() {
  using boost::beast::http::verb;
  namespace h = http_handlers;
  auto routes = std::make_shared<http_routes>();
  routes->add(verb::get, "/healthz", from_memory(h::healthz));
  routes->add(verb::get, "/metrics", from_memory(h::metrics));
  routes->add(verb::get, "/readyz", by_actor(h::readyz));
  routes->add(verb::get, "/v1/actors", by_actor(h::list_actors));
  routes->add(verb::post, "/v1/actors/{name}/messages",
              by_actor(h::post_message));
  routes->add(verb::get, "/v1/tree", by_actor(h::tree));
  routes->add(verb::get, "/v1/events", by_actor(h::events));
  routes->add(verb::get, "/v1/cluster", by_actor(h::cluster_view));
  routes->add(verb::get, "/v1/agents", by_actor(h::list_agents));
  routes->add(verb::get, "/v1/agents/{name}", by_actor(h::get_agent));
  routes->add(verb::post, "/v1/agents/{name}/chat", by_actor(h::chat));
  routes->add(verb::get, "/v1/models", by_actor(h::list_models));
  routes->add(verb::get, "/v1/models/{name}", by_actor(h::get_model));
  routes->add(verb::post, "/v1/chat/completions",
              by_actor(h::chat_completions));
  add_dashboard_routes(*routes);
  return routes;
}

} // namespace bsm
