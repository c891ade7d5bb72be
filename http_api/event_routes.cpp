// GET /v1/events?topic=PATTERN (API.md, "Events").

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/event_bus.hpp"
#include "actors/sse_stream.hpp"
#include "http_api/handlers.hpp"
#include "runtime/events/topic_pattern.hpp"
#include "runtime/http/error_response.hpp"

namespace bsm::http_handlers {

namespace bhttp = boost::beast::http;

void events(http_bridge_pointer self, ex_ptr ex) {
  const auto& env = *self->state.env;
  auto pattern = ex->query_param("topic").value_or("#");
  if (pattern.empty())
    pattern = "#";
  if (auto err = events::validate_pattern(pattern))
    return http::respond_error(*ex, err);
  auto bus = env.names->get(event_bus_path);
  if (!bus)
    return http::respond_error(*ex, bhttp::status::service_unavailable,
                               "unavailable", "the event bus is restarting");
  // Not linked to the bridge: a stream outlives a bridge restart.
  self->system().spawn(sse_stream, ex, caf::actor_cast<event_bus_actor>(*bus),
                       std::move(pattern), env.opts.internal_timeout);
}

} // namespace bsm::http_handlers
