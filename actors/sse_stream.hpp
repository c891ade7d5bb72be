#pragma once

// One Server-Sent Events stream of GET /v1/events: subscribes to the event
// bus with the client's pattern, opens the stream once the subscription
// holds, and writes each event as `data: {"topic","time","source","data"}`.
// It stops when the client goes away (the exchange is cancelled), when the
// client falls too far behind, or when the bus stops; the bus drops its
// subscription when it sees the stream actor go down.

#include <chrono>
#include <string>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/interfaces.hpp"
#include "runtime/http/exchange.hpp"

namespace bsm {

struct sse_stream_state {
  static constexpr const char* name = "sse_stream";

  http::exchange_ptr ex;
};

/// The SSE text of one event: a `data:` line and a blank line.
std::string sse_frame(const v1::Event& event);

/// Renders Unix milliseconds as RFC 3339 UTC ("2026-11-29T07:00:00.123Z").
std::string rfc3339_ms(int64_t unix_ms);

/// Streams the events matching `pattern` to `ex`; the bus gets
/// `subscribe_timeout` to take the subscription.
caf::behavior sse_stream(caf::stateful_actor<sse_stream_state>* self,
                         http::exchange_ptr ex, event_bus_actor bus,
                         std::string pattern,
                         std::chrono::milliseconds subscribe_timeout);

} // namespace bsm
