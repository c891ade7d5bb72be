#pragma once

// One client connection as its exchanges and the server see it: where
// answers go, and how it drains. stream_session.hpp is the implementation,
// over plain TCP or TLS.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "runtime/http/exchange.hpp"
#include "runtime/http/framing.hpp"

namespace bsm::http {

class server;

/// Receives every fully read request, on an I/O thread. It must not block.
using dispatcher = std::function<void(const exchange_ptr&)>;

struct session_options {
  framing_limits limits;
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds sse_heartbeat{15'000};
  uint64_t sse_max_queued_bytes = 1ull << 20;
  /// A request whose handler has not answered by then gets a 504, so no
  /// client waits forever (for example after the bridge actor crashed).
  std::chrono::milliseconds handler_timeout{310'000};
};

/// A connection. Everything it does runs on its strand; the methods below
/// may be called from any thread.
class session : public std::enable_shared_from_this<session> {
public:
  virtual ~session() = default;

  /// Starts reading (after the TLS handshake, on a TLS connection).
  virtual void start() = 0;

  /// Stops reading new requests; closes the connection once the current
  /// exchange is answered (at once when idle; streams end now).
  virtual void drain() = 0;

  // -- for exchanges (any thread) -------------------------------------------

  virtual void post_response(exchange* ex, response res) = 0;
  virtual void post_stream_head(exchange* ex, response head) = 0;
  virtual bool post_stream_data(exchange* ex, std::string chunk) = 0;
  virtual void post_stream_end(exchange* ex) = 0;
};

} // namespace bsm::http
