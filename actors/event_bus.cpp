#include "actors/event_bus.hpp"

#include <chrono>

#include <caf/actor_cast.hpp>
#include <caf/make_message.hpp>
#include <nlohmann/json.hpp>

#include "runtime/clock.hpp"
#include "runtime/error.hpp"
#include "runtime/messages/handled_types.hpp"

namespace bsm {

namespace {

// `accept` checks the syntax (and UTF-8) without building a document; a
// valid JSON text whose first character is '{' is an object.
bool is_json_object(const std::string& text) {
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || text[first] != '{')
    return false;
  return nlohmann::json::accept(text);
}

void publish(event_bus_pointer self, v1::Event ev) {
  auto& st = self->state;
  if (st.prepare(ev))
    return;
  st.metrics->published.inc();
  auto targets = st.recipients(ev.topic());
  if (targets.empty())
    return;
  // Counted before sending, so that a subscriber that has an event also
  // sees it counted.
  st.metrics->delivered.inc(targets.size());
  // One message shared by all subscribers (CAF messages are copy-on-write),
  // so a large event is not copied once per subscriber.
  auto msg = caf::make_message(std::move(ev));
  for (const auto& target : targets)
    target->enqueue(self->ctrl(), caf::make_message_id(), msg, self->context());
}

} // namespace

// -- options and metrics ------------------------------------------------------

caf::error validate(const event_bus_options& opts) {
  if (opts.max_subscriptions == 0)
    return make_error(errc::invalid_argument,
                      "event bus: max_subscriptions must be at least 1");
  if (opts.max_data_bytes == 0)
    return make_error(errc::invalid_argument,
                      "event bus: max_data_bytes must be at least 1");
  return caf::none;
}

event_metrics event_metrics::make(metrics::registry& reg) {
  auto& dropped = reg.counter_family(
    "bsm_events_dropped_total",
    "Events dropped before delivery, by reason (invalid_topic, invalid_data, "
    "too_large, relay_overflow).",
    {"reason"});
  return event_metrics{
    reg
      .counter_family("bsm_events_published_total",
                      "Valid events accepted by the event bus.")
      .with(),
    reg
      .counter_family("bsm_events_delivered_total",
                      "Events sent to subscribers, one per subscriber.")
      .with(),
    dropped.with({"invalid_topic"}),
    dropped.with({"invalid_data"}),
    dropped.with({"too_large"}),
    dropped.with({"relay_overflow"}),
    reg
      .gauge_family("bsm_event_subscriptions",
                    "Subscriptions held by the event bus.")
      .with(),
  };
}

// -- state --------------------------------------------------------------------

event_bus_state::~event_bus_state() {
  // Subscriptions die with this incarnation; a restarted bus starts empty.
  if (metrics)
    metrics->subscriptions.add(-static_cast<double>(owners.size()));
  if (interest)
    for (const auto& [addr, entry] : subscribers)
      for (const auto& sub : entry.patterns)
        interest->remove(sub.second);
}

caf::expected<event_bus_state::added>
event_bus_state::subscribe(const caf::strong_actor_ptr& who,
                           const std::string& pattern) {
  if (!who)
    return make_error(errc::invalid_argument,
                      "subscribe needs a requesting actor to deliver to");
  auto compiled = events::topic_pattern::parse(pattern);
  if (!compiled)
    return compiled.error();
  if (owners.size() >= opts.max_subscriptions)
    return make_error(errc::resource_exhausted,
                      "the event bus holds " + std::to_string(owners.size())
                        + " subscriptions already (max_subscriptions)");
  auto addr = caf::actor_cast<caf::actor_addr>(who);
  auto& entry = subscribers[addr];
  added result{next_id++, entry.patterns.empty()};
  if (!entry.handle)
    entry.handle = who;
  if (interest)
    interest->add(*compiled);
  entry.patterns.emplace_back(result.id, std::move(*compiled));
  owners.emplace(result.id, addr);
  if (metrics)
    metrics->subscriptions.add(1);
  return result;
}

caf::expected<event_bus_state::removed>
event_bus_state::unsubscribe(uint64_t id) {
  auto i = owners.find(id);
  if (i == owners.end())
    return make_error(errc::not_found,
                      "no subscription " + std::to_string(id)
                        + " (removed already, or the event bus restarted)");
  removed result{i->second, false};
  owners.erase(i);
  auto j = subscribers.find(result.subscriber);
  if (j != subscribers.end()) {
    auto& patterns = j->second.patterns;
    for (auto k = patterns.begin(); k != patterns.end(); ++k)
      if (k->first == id) {
        if (interest)
          interest->remove(k->second);
        patterns.erase(k);
        break;
      }
    if (patterns.empty()) {
      subscribers.erase(j);
      result.last = true;
    }
  }
  if (metrics)
    metrics->subscriptions.add(-1);
  return result;
}

void event_bus_state::remove_subscriber(const caf::actor_addr& who) {
  auto i = subscribers.find(who);
  if (i == subscribers.end())
    return;
  for (const auto& entry : i->second.patterns) {
    owners.erase(entry.first);
    if (interest)
      interest->remove(entry.second);
  }
  if (metrics)
    metrics->subscriptions.add(-static_cast<double>(i->second.patterns.size()));
  subscribers.erase(i);
}

caf::error event_bus_state::prepare(v1::Event& ev) {
  if (auto err = events::validate_topic(ev.topic())) {
    metrics->dropped_invalid_topic.inc();
    return err;
  }
  if (ev.data_json().size() > opts.max_data_bytes) {
    metrics->dropped_too_large.inc();
    return make_error(errc::resource_exhausted,
                      "event data of " + std::to_string(ev.data_json().size())
                        + " bytes is over max_data_bytes ("
                        + std::to_string(opts.max_data_bytes) + ")");
  }
  if (ev.data_json().empty())
    ev.set_data_json("{}");
  else if (!is_json_object(ev.data_json())) {
    metrics->dropped_invalid_data.inc();
    return make_error(errc::invalid_argument,
                      "event data is not a JSON object");
  }
  if (ev.time_unix_ms() == 0)
    ev.set_time_unix_ms(unix_now_ms());
  return caf::none;
}

std::vector<caf::strong_actor_ptr>
event_bus_state::recipients(const std::string& topic) const {
  std::vector<caf::strong_actor_ptr> result;
  for (const auto& [addr, entry] : subscribers)
    for (const auto& sub : entry.patterns)
      if (sub.second.matches(topic)) {
        result.push_back(entry.handle);
        break;
      }
  return result;
}

// -- behavior -----------------------------------------------------------------

event_bus_actor::behavior_type
event_bus(event_bus_pointer self, event_bus_options opts, event_metrics metrics,
          std::shared_ptr<events::topic_interest> interest) {
  self->state.opts = opts;
  self->state.metrics.emplace(metrics);
  self->state.interest = std::move(interest);
  self->set_down_handler(
    [self](caf::down_msg& msg) { self->state.remove_subscriber(msg.source); });
  return {
    [self](v1::PublishRequest& req) {
      publish(self, std::move(*req.mutable_event()));
    },
    [self](
      const v1::SubscribeRequest& req) -> caf::result<v1::SubscribeResponse> {
      auto who = self->current_sender();
      auto result = self->state.subscribe(who, req.pattern());
      if (!result)
        return result.error();
      // Monitoring an actor that is gone already yields a down_msg at once,
      // so a subscriber that dies right after asking is cleaned up too.
      if (result->first)
        self->monitor(who);
      v1::SubscribeResponse resp;
      resp.set_subscription_id(result->id);
      return resp;
    },
    [self](const v1::UnsubscribeRequest& req)
      -> caf::result<v1::UnsubscribeResponse> {
      auto result = self->state.unsubscribe(req.subscription_id());
      if (!result)
        return result.error();
      if (result->last)
        self->demonitor(result->subscriber);
      return v1::UnsubscribeResponse{};
    },
  };
}

caf::expected<event_bus_actor>
spawn_event_bus(caf::actor_system& sys, event_bus_options opts,
                event_metrics metrics,
                std::shared_ptr<events::topic_interest> interest) {
  if (auto err = validate(opts))
    return err;
  return sys.spawn(event_bus, opts, metrics, std::move(interest));
}

child_spec event_bus_child(event_bus_options opts, event_metrics metrics,
                           std::shared_ptr<events::topic_interest> interest) {
  child_spec spec;
  spec.name = event_bus_path;
  spec.handles = handled_types<event_bus_actor>();
  spec.start = [opts, metrics,
                interest](caf::actor_system& sys,
                          const std::string&) -> caf::expected<caf::actor> {
    return caf::actor_cast<caf::actor>(
      sys.spawn(event_bus, opts, metrics, interest));
  };
  return spec;
}

} // namespace bsm
