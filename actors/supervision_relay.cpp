#include "actors/supervision_relay.hpp"

#include <caf/send.hpp>
#include <nlohmann/json.hpp>

#include "protocols/enum_label.hpp"
#include "runtime/clock.hpp"
#include "runtime/error.hpp"

namespace bsm {

namespace {

/// Publishes everything buffered if a bus is registered; else makes sure a
/// timer will look again.
void flush(supervision_relay_pointer self) {
  auto& st = self->state;
  if (st.buffer.empty())
    return;
  if (auto bus = st.bus()) {
    // All sends go from this actor to one bus, so CAF keeps their order.
    while (!st.buffer.empty()) {
      v1::PublishRequest req;
      *req.mutable_event() = std::move(st.buffer.front());
      st.buffer.pop_front();
      self->send(*bus, std::move(req));
    }
    return;
  }
  if (!st.timer_armed) {
    st.timer_armed = true;
    self->delayed_send(self, st.opts.retry_interval, atom::flush_events::value);
  }
}

} // namespace

caf::error validate(const supervision_relay_options& opts) {
  if (auto err = name_registry::validate_path(opts.bus_path))
    return make_error(errc::invalid_argument,
                      "supervision relay: bad bus_path: " + render(err));
  if (opts.max_buffered == 0)
    return make_error(errc::invalid_argument,
                      "supervision relay: max_buffered must be at least 1");
  if (opts.retry_interval.count() <= 0)
    return make_error(errc::invalid_argument,
                      "supervision relay: retry_interval must be positive");
  return caf::none;
}

v1::Event to_bus_event(const v1::SupervisionEvent& ev) {
  auto kind = enum_label(v1::SupervisionEvent::Kind_Name(ev.kind()), "KIND_");
  // Kind_Name is empty for a value this build does not know (a newer
  // sender); the topic must still be valid.
  if (kind.empty())
    kind = "unknown";
  auto supervisor = ev.supervisor().empty() ? "root" : ev.supervisor();
  nlohmann::json data{
    {"supervisor", supervisor},  {"child", ev.child()},
    {"reason", ev.reason()},     {"backoff_ms", ev.backoff_ms()},
    {"restarts", ev.restarts()},
  };
  v1::Event result;
  result.set_topic("supervision." + kind);
  result.set_time_unix_ms(ev.time_unix_ms() != 0 ? ev.time_unix_ms()
                                                 : unix_now_ms());
  result.set_source(supervisor);
  // Reasons are rendered errors and may hold any bytes; replace invalid
  // UTF-8 instead of throwing.
  result.set_data_json(
    data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return result;
}

void supervision_relay_state::enqueue(v1::Event ev) {
  while (buffer.size() >= opts.max_buffered) {
    buffer.pop_front();
    metrics->dropped_relay_overflow.inc();
  }
  buffer.push_back(std::move(ev));
}

std::optional<caf::actor> supervision_relay_state::bus() const {
  auto handle = names->get(opts.bus_path);
  if (!handle)
    return std::nullopt;
  return std::move(*handle);
}

caf::behavior supervision_relay(supervision_relay_pointer self,
                                std::shared_ptr<name_registry> names,
                                supervision_relay_options opts,
                                event_metrics metrics) {
  auto& state = self->state;
  state.opts = std::move(opts);
  state.names = std::move(names);
  state.metrics.emplace(metrics);
  return {
    [self](const v1::SupervisionEvent& ev) {
      self->state.enqueue(to_bus_event(ev));
      flush(self);
    },
    [self](atom::flush_events) {
      self->state.timer_armed = false;
      flush(self);
    },
  };
}

caf::expected<caf::actor>
spawn_supervision_relay(caf::actor_system& sys,
                        std::shared_ptr<name_registry> names,
                        supervision_relay_options opts, event_metrics metrics) {
  if (auto err = validate(opts))
    return err;
  if (!names)
    return make_error(errc::invalid_argument,
                      "supervision relay: needs a name registry");
  return caf::actor{
    sys.spawn(supervision_relay, std::move(names), std::move(opts), metrics)};
}

} // namespace bsm
