#include "tasks/task_spec.hpp"

#include <algorithm>

#include "runtime/error.hpp"

namespace bsm::tasks {

namespace {

caf::error bad(std::string what) {
  return make_error(errc::invalid_argument, std::move(what));
}

// A path segment's characters (runtime/naming), '/' for nested names.
bool path_name(const std::string& x, bool nested) {
  if (x.empty() || x.size() > 200)
    return false;
  for (char c : x) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
              || c == '-' || c == '.' || (nested && c == '/')
              || (c >= 'A' && c <= 'Z');
    if (!ok)
      return false;
  }
  return true;
}

caf::error check_labels(const v1::TaskSpec& spec, const spec_limits& limits) {
  if (static_cast<size_t>(spec.labels_size()) > limits.max_labels)
    return bad("at most " + std::to_string(limits.max_labels) + " labels");
  for (const auto& [key, value] : spec.labels()) {
    if (key.empty() || key.size() > limits.max_label_bytes
        || value.size() > limits.max_label_bytes)
      return bad("a label's key must be 1.."
                 + std::to_string(limits.max_label_bytes)
                 + " bytes and its value at most as long");
    if (key.find('=') != std::string::npos)
      return bad("a label's key must not contain '='");
  }
  return {};
}

caf::error check_target(const v1::TaskSpec& spec, const type_registry& types) {
  if (spec.agent().empty() == spec.actor().empty())
    return bad("a task names exactly one of 'agent' and 'actor'");
  if (!spec.agent().empty()) {
    if (!path_name(spec.agent(), false))
      return bad("'agent' is not an agent name");
    if (spec.input().empty())
      return bad("a chat task needs 'input'");
    if (!spec.type_name().empty() || !spec.payload().empty())
      return bad("'type' and 'payload' go with 'actor', not 'agent'");
    return {};
  }
  if (!path_name(spec.actor(), true))
    return bad("'actor' is not an actor's name");
  if (!spec.input().empty() || !spec.session_id().empty())
    return bad("'input' and 'session_id' go with 'agent', not 'actor'");
  if (spec.type_name().empty())
    return bad("a task for an actor needs 'type'");
  if (!types.contains(spec.type_name()))
    return bad("unknown message type '" + spec.type_name().substr(0, 200)
               + "'");
  if (auto msg = types.decode(spec.type_name(), spec.payload()); !msg)
    return bad("'payload' is not a " + spec.type_name());
  return {};
}

} // namespace

std::string target_of(const v1::TaskSpec& spec) {
  return spec.agent().empty() ? spec.actor() : "agents/" + spec.agent();
}

caf::error check_spec(const v1::TaskSpec& spec, const type_registry& types,
                      const spec_limits& limits) {
  if (auto err = check_target(spec, types))
    return err;
  if (spec.priority() > 9)
    return bad("'priority' must be 0..9");
  if (spec.input().size() + spec.payload().size() > limits.max_input_bytes)
    return bad("the input is over " + std::to_string(limits.max_input_bytes)
               + " bytes");
  if (spec.idempotency_key().size() > limits.max_key_bytes)
    return bad("'idempotency_key' is over "
               + std::to_string(limits.max_key_bytes) + " bytes");
  if (spec.not_before_unix_ms() < 0 || spec.deadline_unix_ms() < 0)
    return bad("times must not be negative");
  if (spec.deadline_unix_ms() > 0
      && spec.deadline_unix_ms() < spec.not_before_unix_ms())
    return bad("'deadline' is before 'not_before'");
  if (spec.backoff_max_ms() > 0
      && spec.backoff_max_ms() < spec.backoff_initial_ms())
    return bad("'backoff_max_ms' is below 'backoff_initial_ms'");
  if (spec.max_attempts() > 100)
    return bad("'max_attempts' must be 0..100");
  return check_labels(spec, limits);
}

v1::TaskSpec with_defaults(v1::TaskSpec spec, const tasks_options& opts) {
  if (spec.max_attempts() == 0)
    spec.set_max_attempts(opts.max_attempts);
  if (spec.backoff_initial_ms() == 0)
    spec.set_backoff_initial_ms(
      static_cast<uint32_t>(opts.backoff_initial.count()));
  if (spec.backoff_max_ms() == 0)
    spec.set_backoff_max_ms(
      std::max(spec.backoff_initial_ms(),
               static_cast<uint32_t>(opts.backoff_max.count())));
  if (spec.timeout_ms() == 0)
    spec.set_timeout_ms(static_cast<uint32_t>(opts.attempt_timeout.count()));
  return spec;
}

bool retryable(const caf::error& err) {
  for (auto code : {errc::invalid_argument, errc::permission_denied,
                    errc::failed_precondition, errc::cancelled})
    if (is(err, code))
      return false;
  return true;
}

} // namespace bsm::tasks
