#pragma once

// The error vocabulary of BSM-AgentOS, after Abseil's status codes. Every
// module boundary returns these as `caf::error` (category "bsm"), so they
// travel between actors and nodes unchanged. The comment on each code says
// what the caller should do.

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

namespace caf {
class actor_system_config;
} // namespace caf

namespace bsm {

enum class errc : uint8_t {
  /// The caller passed something wrong; retrying the same call fails again.
  invalid_argument = 1,
  /// The named thing does not exist.
  not_found,
  /// The thing to create exists already.
  already_exists,
  /// The system is not in a state for this call; fix the state first.
  failed_precondition,
  /// Transient: retry this call later (full mailbox, not ready, disk error).
  unavailable,
  /// The deadline passed before the work finished.
  deadline_exceeded,
  /// Retry the whole transaction (for example after a restart storm).
  aborted,
  /// A quota or size limit was hit.
  resource_exhausted,
  permission_denied,
  unauthenticated,
  /// A broken invariant or an unexpected failure of a dependency.
  internal,
  /// Someone ended the work before it finished (a cancelled turn or task).
  cancelled,
};

/// The CAF error category of `errc`.
constexpr caf::atom_value errc_category = caf::atom("bsm");

/// Returns the snake_case name of `x`, as used in the HTTP error shape.
const char* to_string(errc x);

/// Makes an error with a human-readable context message.
inline caf::error make_error(errc code, std::string what) {
  return caf::error{static_cast<uint8_t>(code), errc_category,
                    caf::make_message(std::move(what))};
}

/// An error about one field of a request (an OpenAI parameter): the field
/// travels in the context after the message, for the error shape's
/// `param`.
inline caf::error make_field_error(errc code, std::string field,
                                   std::string what) {
  return caf::error{static_cast<uint8_t>(code), errc_category,
                    caf::make_message(std::move(what), std::move(field))};
}

/// The field of an error made by make_field_error; empty for any other.
std::string field_of(const caf::error& err);

inline caf::error make_error(errc code) {
  return caf::error{static_cast<uint8_t>(code), errc_category};
}

/// Returns true if `err` belongs to the bsm category and has code `code`.
[[nodiscard]] bool is(const caf::error& err, errc code);

/// True for errors that repeating a delivery cannot fix: the handler
/// looked at the message and refused it, or the target does not take its
/// type.
[[nodiscard]] bool is_permanent_error(const caf::error& err);

/// Renders any error as "code: context" without needing an actor system.
std::string render(const caf::error& err);

/// Teaches `cfg` to render bsm errors in logs and `actor_system::render`.
void add_error_category(caf::actor_system_config& cfg);

} // namespace bsm
