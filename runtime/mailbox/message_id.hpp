#pragma once

// Message ids in the ULID format: 26 characters of Crockford base32, a
// 48-bit millisecond timestamp then 80 random bits, so ids sort by time
// and two nodes never need to coordinate.

#include <string>

namespace bsm {

/// A fresh id. Thread-safe.
std::string new_message_id();

} // namespace bsm
