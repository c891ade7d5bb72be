#pragma once

// The task routes' shapes (API.md, "Tasks"): a POST /v1/tasks body read
// into a TaskSpec, and a TaskRecord written as JSON. Plain functions,
// tested without a server.

#include <cstdint>
#include <string>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "protocols/caf_types.hpp"
#include "runtime/messages/type_registry.hpp"

namespace bsm::http_handlers {

/// The body of POST /v1/tasks at `now` (unix ms): `agent`, `input`,
/// `session_id` or `actor`, `type`, `payload` (an object in the type's
/// protobuf JSON mapping, turned into its bytes by `types`); `priority`,
/// `delay_ms` or `not_before` (unix ms), `deadline_ms` (from now) or
/// `deadline` (unix ms), `max_attempts`, `backoff_initial_ms`,
/// `backoff_max_ms`, `timeout_ms`, `idempotency_key`, `labels` (an object
/// of strings). Errors: invalid_argument naming the field (unknown
/// fields, wrong types, numbers out of range, both forms of a time).
/// The spec's own rules (one target, ...) are tasks::check_spec's.
[[nodiscard]] caf::expected<v1::TaskSpec>
task_spec_from_json(const nlohmann::json& body, const type_registry& types,
                    int64_t now);

/// A task as the API shows it.
nlohmann::json task_json(const v1::TaskRecord& rec);

} // namespace bsm::http_handlers
