#pragma once

// What a submitted task must be, and what it becomes with the queue's
// defaults: plain functions, tested without an actor system.

#include <string>

#include <caf/error.hpp>

#include "protocols/caf_types.hpp"
#include "runtime/messages/type_registry.hpp"
#include "tasks/tasks_options.hpp"

namespace bsm::tasks {

/// Limits on what a task may carry (the record is kept on disk).
struct spec_limits {
  size_t max_input_bytes = 1 << 20;
  size_t max_labels = 32;
  size_t max_label_bytes = 256;
  size_t max_key_bytes = 256;
};

/// The path a task runs at: "agents/<agent>" or its actor's name.
std::string target_of(const v1::TaskSpec& spec);

/// Errors (invalid_argument, naming the field): not exactly one of agent
/// and actor; a name with characters a path cannot hold; a chat without
/// input; an actor message whose type `types` does not know or whose
/// payload does not parse; priority above 9; a deadline before the
/// not-before time; too large an input, too many or too long labels, too
/// long an idempotency key.
[[nodiscard]] caf::error check_spec(const v1::TaskSpec& spec,
                                    const type_registry& types,
                                    const spec_limits& limits = {});

/// `spec` with every 0 that means "the queue's default" filled in from
/// `opts`, so the record says what it runs with.
v1::TaskSpec with_defaults(v1::TaskSpec spec, const tasks_options& opts);

/// Whether an attempt that failed with `err` may succeed when repeated:
/// not for invalid_argument, permission_denied, failed_precondition or
/// cancelled.
bool retryable(const caf::error& err);

} // namespace bsm::tasks
