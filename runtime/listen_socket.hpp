#pragma once

// Listening on an address as the node's own listeners do, and the
// system's reason when it cannot (for the start-up error of a port in
// use: CAF reports a failed bind as "tcp socket creation failed", which
// sends the reader the wrong way).

#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include "runtime/config/listen_address.hpp"

namespace bsm {

/// Opens `acceptor` on `address` ("localhost" as 127.0.0.1), with
/// SO_REUSEADDR (a port in TIME_WAIT is no conflict), bound and listening.
/// The system's error of the first step that failed.
boost::system::error_code
open_listener(boost::asio::ip::tcp::acceptor& acceptor,
              const listen_address& address);

/// Why `address` cannot be listened on now, in the system's words
/// ("Address already in use"); empty if it can (the port was free again
/// by the time of the probe: the caller keeps its own reason).
std::string bind_problem(const listen_address& address);

} // namespace bsm
