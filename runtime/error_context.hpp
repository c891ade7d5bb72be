#pragma once

// Adding where an error happened to a bsm error that travels up, without
// changing its code (so callers still decide by errc).

#include <string>

#include <caf/error.hpp>

namespace bsm {

/// `err` with `prefix` before its message, its code kept; an error of
/// another category is returned as it is.
caf::error in_context(const caf::error& err, const std::string& prefix);

} // namespace bsm
