#include "http_api/task_format.hpp"

#include <limits>

#include "runtime/error.hpp"
#include "tasks/task_lifecycle.hpp"

namespace bsm::http_handlers {

namespace {

using json = nlohmann::json;

caf::error bad(std::string what) {
  return make_error(errc::invalid_argument, std::move(what));
}

caf::expected<std::string> text_field(const std::string& key, const json& v) {
  if (!v.is_string())
    return bad("'" + key + "' must be a string");
  return v.get<std::string>();
}

caf::expected<int64_t> number_field(const std::string& key, const json& v,
                                    int64_t max) {
  if (!v.is_number_integer())
    return bad("'" + key + "' must be an integer");
  auto x = v.get<int64_t>();
  if (x < 0 || x > max)
    return bad("'" + key + "' must be 0.." + std::to_string(max));
  return x;
}

// Up to ten years ahead, in ms: far enough for any delay, small enough
// that adding it to now cannot overflow.
constexpr int64_t max_relative_ms = int64_t{10} * 366 * 24 * 3'600'000;
constexpr int64_t max_unix_ms = int64_t{1} << 52;
constexpr int64_t max_u32 = std::numeric_limits<uint32_t>::max();

struct times {
  int64_t delay = -1, not_before = -1, deadline_in = -1, deadline = -1;
};

caf::error read_labels(const json& v, v1::TaskSpec& spec) {
  if (!v.is_object())
    return bad("'labels' must be an object of strings");
  for (const auto& [key, value] : v.items()) {
    if (!value.is_string())
      return bad("label '" + key.substr(0, 100) + "' must be a string");
    (*spec.mutable_labels())[key] = value.get<std::string>();
  }
  return {};
}

caf::error read_payload(const json& v, v1::TaskSpec& spec) {
  if (!v.is_object())
    return bad("'payload' must be an object");
  spec.set_payload(v.dump());
  return {};
}

// One field into `spec` (or `t` for the times).
caf::error read_field(const std::string& key, const json& v, v1::TaskSpec& spec,
                      times& t) {
  auto text = [&](std::string* (v1::TaskSpec::*field)()) -> caf::error {
    auto x = text_field(key, v);
    if (!x)
      return x.error();
    *(spec.*field)() = std::move(*x);
    return {};
  };
  auto u32 = [&](void (v1::TaskSpec::*set)(uint32_t), int64_t max) {
    auto x = number_field(key, v, max);
    if (!x)
      return x.error();
    (spec.*set)(static_cast<uint32_t>(*x));
    return caf::error{};
  };
  auto time = [&](int64_t& out, int64_t max) {
    auto x = number_field(key, v, max);
    if (!x)
      return x.error();
    out = *x;
    return caf::error{};
  };
  using s = v1::TaskSpec;
  if (key == "agent")
    return text(&s::mutable_agent);
  if (key == "input")
    return text(&s::mutable_input);
  if (key == "session_id")
    return text(&s::mutable_session_id);
  if (key == "actor")
    return text(&s::mutable_actor);
  if (key == "type")
    return text(&s::mutable_type_name);
  if (key == "idempotency_key")
    return text(&s::mutable_idempotency_key);
  if (key == "payload")
    return read_payload(v, spec);
  if (key == "labels")
    return read_labels(v, spec);
  if (key == "priority")
    return u32(&s::set_priority, 9);
  if (key == "max_attempts")
    return u32(&s::set_max_attempts, 100);
  if (key == "backoff_initial_ms")
    return u32(&s::set_backoff_initial_ms, max_u32);
  if (key == "backoff_max_ms")
    return u32(&s::set_backoff_max_ms, max_u32);
  if (key == "timeout_ms")
    return u32(&s::set_timeout_ms, max_u32);
  if (key == "delay_ms")
    return time(t.delay, max_relative_ms);
  if (key == "not_before")
    return time(t.not_before, max_unix_ms);
  if (key == "deadline_ms")
    return time(t.deadline_in, max_relative_ms);
  if (key == "deadline")
    return time(t.deadline, max_unix_ms);
  return bad("unknown field '" + key.substr(0, 100) + "'");
}

caf::error apply_times(const times& t, int64_t now, v1::TaskSpec& spec) {
  if (t.delay >= 0 && t.not_before >= 0)
    return bad("give 'delay_ms' or 'not_before', not both");
  if (t.deadline_in >= 0 && t.deadline >= 0)
    return bad("give 'deadline_ms' or 'deadline', not both");
  if (t.delay > 0)
    spec.set_not_before_unix_ms(now + t.delay);
  if (t.not_before > 0)
    spec.set_not_before_unix_ms(t.not_before);
  if (t.deadline_in > 0)
    spec.set_deadline_unix_ms(now + t.deadline_in);
  if (t.deadline > 0)
    spec.set_deadline_unix_ms(t.deadline);
  return {};
}

} // namespace

caf::expected<v1::TaskSpec>
task_spec_from_json(const json& body, const type_registry& types, int64_t now) {
  if (!body.is_object())
    return bad("the body must be a JSON object");
  v1::TaskSpec spec;
  times t;
  for (const auto& [key, value] : body.items())
    if (auto err = read_field(key, value, spec, t))
      return err;
  if (auto err = apply_times(t, now, spec))
    return err;
  if (!spec.payload().empty()) {
    if (spec.type_name().empty() || !types.contains(spec.type_name()))
      return bad("'payload' needs a known 'type'");
    auto bytes = types.json_to_binary(spec.type_name(), spec.payload());
    if (!bytes)
      return bad("'payload' is not a " + spec.type_name() + ": "
                 + render(bytes.error()));
    spec.set_payload(std::move(*bytes));
  }
  return spec;
}

json task_json(const v1::TaskRecord& rec) {
  const auto& spec = rec.spec();
  json out{{"task_id", rec.task_id()},
           {"state", tasks::state_name(rec.state())},
           {"priority", spec.priority()},
           {"attempts", rec.attempts()},
           {"max_attempts", spec.max_attempts()},
           {"created_at", rec.created_unix_ms()},
           {"updated_at", rec.updated_unix_ms()},
           {"node", rec.node()},
           {"labels", json::object()}};
  if (!spec.agent().empty()) {
    out["agent"] = spec.agent();
    out["input"] = spec.input();
    auto session
      = rec.session_id().empty() ? spec.session_id() : rec.session_id();
    if (!session.empty())
      out["session_id"] = session;
  } else {
    out["actor"] = spec.actor();
    out["type"] = spec.type_name();
  }
  for (const auto& [key, value] : spec.labels())
    out["labels"][key] = value;
  if (rec.state() == v1::TASK_STATE_SUCCEEDED)
    out["result"] = rec.result();
  if (!rec.error().empty())
    out["error"] = rec.error();
  if (!spec.idempotency_key().empty())
    out["idempotency_key"] = spec.idempotency_key();
  if (spec.not_before_unix_ms() > 0)
    out["not_before"] = spec.not_before_unix_ms();
  if (spec.deadline_unix_ms() > 0)
    out["deadline"] = spec.deadline_unix_ms();
  if (rec.next_run_unix_ms() > 0)
    out["next_run_at"] = rec.next_run_unix_ms();
  if (!rec.lease_owner().empty()) {
    out["lease_owner"] = rec.lease_owner();
    out["lease_expires_at"] = rec.lease_expires_unix_ms();
  }
  return out;
}

} // namespace bsm::http_handlers
