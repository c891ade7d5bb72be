#include "actors/http_bridge.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>

#include "runtime/http/error_response.hpp"
#include "runtime/logging/unexpected_message.hpp"

namespace bsm {

namespace bhttp = boost::beast::http;

void http_bridge_state::handle(const http::exchange_ptr& ex) {
  if (ex->cancelled())
    return; // nobody waits for the answer any more
  // The front matched the route already.
  const auto& table = routes->routes();
  auto i = ex->route_index();
  if (i >= table.size() || !table[i].handler.by_actor)
    return http::respond_error(*ex, bhttp::status::internal_server_error,
                               "internal", "route lost on its way");
  table[i].handler.by_actor(self, ex);
}

caf::behavior http_bridge(http_bridge_pointer self,
                          std::shared_ptr<const http_bridge_env> env,
                          std::shared_ptr<const http_routes> routes) {
  auto& st = self->state;
  st.self = self;
  st.env = std::move(env);
  st.routes = std::move(routes);
  // Not an instrumented actor: it reports unexpected messages itself.
  if (st.env->log)
    self->set_default_handler(
      log_unexpected_messages(st.env->log, http_bridge_path));
  return {
    [self](const http::exchange_ptr& ex) { self->state.handle(ex); },
    [self](atom::deadline) { self->state.deadlines.on_timer(self); },
  };
}

} // namespace bsm
