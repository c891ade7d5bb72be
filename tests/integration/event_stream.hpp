#pragma once

// Reading a server-sent event stream from a node in a test: open it on a
// connection of its own, read its body as it comes (http_connection's
// read_until), then take its chunked framing and its events apart.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/integration/http_client.hpp"

namespace bsm::test {

/// POSTs the JSON `body` to `target` on 127.0.0.1:`port` and reads the
/// answer's head, which must be a 200 text/event-stream: the connection,
/// its body still to read. Null if not; `why` says what came instead.
std::unique_ptr<http_connection> open_event_stream(
  uint16_t port, const std::string& target, const std::string& body,
  std::vector<std::pair<std::string, std::string>> headers, std::string& why);

/// Decodes a chunked body (what follows the head of a stream).
std::string dechunk(const std::string& raw);

/// The payloads of the "data: " lines of an event stream, in order.
std::vector<std::string> sse_data(const std::string& stream);

} // namespace bsm::test
