#pragma once

// Publishing on the node's event bus from an actor, for the publishers that
// know which topics have subscribers (events::topic_interest): an event
// nobody subscribed to is not built.

#include <string>
#include <utility>

#include <caf/actor_cast.hpp>

#include "actors/event_bus.hpp"
#include "runtime/clock.hpp"
#include "runtime/events/topic_interest.hpp"
#include "runtime/naming/name_registry.hpp"

namespace bsm {

/// Sends `self`'s event of `topic` from `source` to the bus registered in
/// `names`, its data the JSON text `make_data()` returns. Not built (nor
/// `make_data` called) when `interest` (null: anything may be wanted) says
/// nobody subscribed to `topic`, or no bus is registered.
template <class Self, class MakeData>
void publish_event(Self* self, const name_registry& names,
                   const events::topic_interest* interest, std::string topic,
                   const char* source, MakeData&& make_data) {
  if (interest && !interest->wants(topic))
    return;
  auto bus = names.get(event_bus_path);
  if (!bus)
    return;
  v1::PublishRequest req;
  auto* ev = req.mutable_event();
  ev->set_topic(std::move(topic));
  ev->set_time_unix_ms(unix_now_ms());
  ev->set_source(source);
  ev->set_data_json(std::forward<MakeData>(make_data)());
  self->send(caf::actor_cast<event_bus_actor>(*bus), std::move(req));
}

} // namespace bsm
