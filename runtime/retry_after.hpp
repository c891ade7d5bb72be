#pragma once

// Errors that tell the caller when to try again: a spent budget refills at
// a known time, so its 429 carries that time in Retry-After instead of the
// default second. The wait travels in the error's context after its
// message (message, field, wait in ms), so it crosses actors and nodes
// with the error.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <caf/error.hpp>

#include "runtime/error.hpp"

namespace bsm {

/// An error of `code` whose caller should retry after `wait`.
[[nodiscard]] caf::error make_retry_error(errc code, std::string what,
                                          std::chrono::milliseconds wait);

/// The wait of an error made by make_retry_error; nothing for any other.
[[nodiscard]] std::optional<std::chrono::milliseconds>
retry_after_of(const caf::error& err);

/// A wait as whole seconds for a Retry-After header: rounded up, at least 1.
[[nodiscard]] int64_t retry_after_seconds(std::chrono::milliseconds wait);

} // namespace bsm
