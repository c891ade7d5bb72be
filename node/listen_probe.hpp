#pragma once

// Why a listening address cannot be had, in the system's words, for the
// start-up error of a port already in use: CAF reports a failed bind as
// "tcp socket creation failed", which sends the reader the wrong way.

#include <string>

#include "runtime/config/listen_address.hpp"

namespace bsm {

/// The system's reason `address` cannot be bound and listened on now
/// ("Address already in use"); empty if it can (then the port was free
/// again by the time of the probe, and the caller keeps its own reason).
std::string bind_problem(const listen_address& address);

} // namespace bsm
