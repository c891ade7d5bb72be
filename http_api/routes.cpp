#include "http_api/routes.hpp"

#include <stdexcept>

#include "http_api/dashboard.hpp"
#include "http_api/handlers.hpp"
#include "runtime/error.hpp"

namespace bsm {

namespace {

http_route from_memory(
  std::string_view needs,
  std::function<void(const http_bridge_env&, const http::exchange_ptr&)> f) {
  http_route result;
  result.permission = permission(needs);
  result.from_memory = std::move(f);
  return result;
}

http_route by_actor(
  std::string_view needs,
  std::function<void(http_bridge_pointer, const http::exchange_ptr&)> f) {
  http_route result;
  result.permission = permission(needs);
  result.by_actor = std::move(f);
  return result;
}

// Counts in the principal's limit of concurrent chats or streams.
http_route counted(http_route::concurrency group, http_route route) {
  route.counts_in = group;
  return route;
}

// The OpenAI-compatible routes answer errors in OpenAI's shape.
http_route openai(http_route route) {
  route.respond_error = http_handlers::respond_openai_error;
  return route;
}

} // namespace

security::permission_template permission(std::string_view text) {
  auto result = security::permission_template::parse(text);
  if (!result)
    throw std::invalid_argument(render(result.error()));
  return std::move(*result);
}

std::shared_ptr<const http_routes> make_http_routes() {
  using boost::beast::http::verb;
  namespace h = http_handlers;
  auto routes = std::make_shared<http_routes>();
  // Each route with the one permission it needs (runtime/security/
  // permission_template.hpp): {x} is a path parameter, <x> a part the
  // handler reads from the body and checks again.
  routes->add(verb::get, "/healthz", from_memory("open", h::healthz));
  routes->add(verb::get, "/metrics", from_memory("metrics:read", h::metrics));
  routes->add(verb::get, "/readyz", by_actor("open", h::readyz));
  routes->add(verb::get, "/v1/actors", by_actor("actors:read", h::list_actors));
  routes->add(verb::post, "/v1/actors/{name}/messages",
              by_actor("actors:{name}:inject:<type>", h::post_message));
  routes->add(verb::get, "/v1/tree", by_actor("actors:read", h::tree));
  using limit = http_route::concurrency;
  routes->add(verb::get, "/v1/events",
              counted(limit::stream, by_actor("events:read", h::events)));
  routes->add(verb::get, "/v1/cluster",
              by_actor("cluster:read", h::cluster_view));
  routes->add(verb::post, "/v1/cluster/members/{node}/leave",
              by_actor("cluster:{node}:leave", h::cluster_leave));
  routes->add(verb::get, "/v1/agents", by_actor("agents:read", h::list_agents));
  routes->add(verb::get, "/v1/agents/{name}",
              by_actor("agents:{name}:read", h::get_agent));
  routes->add(verb::get, "/v1/agents/{name}/sessions",
              by_actor("agents:{name}:read", h::list_sessions));
  routes->add(verb::get, "/v1/agents/{name}/sessions/{id}",
              by_actor("agents:{name}:read", h::get_session));
  routes->add(verb::post, "/v1/agents/{name}/chat",
              counted(limit::chat, by_actor("agents:{name}:chat", h::chat)));
  routes->add(verb::get, "/v1/models",
              openai(by_actor("agents:read", h::list_models)));
  routes->add(verb::get, "/v1/models/{name}",
              openai(by_actor("agents:{name}:read", h::get_model)));
  routes->add(verb::post, "/v1/chat/completions",
              counted(limit::chat, openai(by_actor("agents:<model>:chat",
                                                   h::chat_completions))));
  routes->add(verb::post, "/v1/auth/token", by_actor("open", h::auth_token));
  routes->add(verb::get, "/v1/users",
              by_actor("admin:users:read", h::list_users));
  routes->add(verb::put, "/v1/users/{name}",
              by_actor("admin:users:write", h::put_user));
  routes->add(verb::delete_, "/v1/users/{name}",
              by_actor("admin:users:write", h::delete_user));
  routes->add(verb::get, "/v1/api-keys",
              by_actor("admin:keys:read", h::list_api_keys));
  routes->add(verb::post, "/v1/api-keys",
              by_actor("admin:keys:write", h::create_api_key));
  routes->add(verb::delete_, "/v1/api-keys/{id}",
              by_actor("admin:keys:write", h::revoke_api_key));
  routes->add(verb::get, "/v1/roles",
              from_memory("admin:roles:read", h::list_roles));
  routes->add(verb::post, "/v1/admin/reload",
              by_actor("admin:reload", h::admin_reload));
  add_dashboard_routes(*routes);
  return routes;
}

} // namespace bsm
