#pragma once

// How the MCP client (agents/mcp/client.hpp) reaches one server: it sends
// one JSON-RPC message at a time and receives the server's messages in
// order. The protocol (handshake, requests, answers to the server's
// requests, cancellation) is the client's; a transport only moves
// messages. Two of them: stdio_transport (a child process) and
// http_transport (Streamable HTTP).
//
// Errors of send and receive:
// - `unavailable`: the server is gone (a process that exited, an endpoint
//   that cannot be reached) or a stream was lost beyond resumption.
// - `resource_exhausted`: the server sent a message over the size limit.
// - `deadline_exceeded` (send only): the message could not be sent in time.
// - `not_found` (HTTP send only): the server forgot the session; the client
//   initializes anew.
// - others as the transport documents them.
// After an error, `usable()` says whether the transport can go on; once it
// cannot, every later call fails with the same error.
//
// REQUIRES: one thread at a time. Every call blocks up to its deadline, so
// run it on a thread of its own (a detached actor), never on a CAF
// scheduler thread.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace bsm::mcp {

class transport {
public:
  using clock = std::chrono::steady_clock;

  virtual ~transport() = default;

  /// Sends `message`, one JSON-RPC message as JSON text without a line
  /// break.
  [[nodiscard]] virtual caf::error send(const std::string& message,
                                        clock::time_point deadline)
    = 0;

  /// The next message from the server, or nullopt if none came by
  /// `deadline` (a deadline in the past only takes what is there).
  [[nodiscard]] virtual caf::expected<std::optional<std::string>>
  receive(clock::time_point deadline) = 0;

  /// After the handshake: the protocol version both sides use (HTTP sends
  /// it on every later request).
  virtual void negotiated(std::string_view version) {
    (void)version;
  }

  /// False once the transport failed for good (see above).
  virtual bool usable() const noexcept = 0;

  /// Ends the conversation within about 2 * `grace` (stdio stops the
  /// process, HTTP deletes the session) and fails later calls with
  /// `unavailable`. Returns how it ended ("exit code 0", "session
  /// deleted"), for the log.
  virtual std::string close(std::chrono::milliseconds grace) = 0;

  /// What the client is doing ("tools/call"), for error messages.
  void set_activity(std::string_view what) {
    activity_ = what;
  }

protected:
  const std::string& activity() const noexcept {
    return activity_;
  }

private:
  std::string activity_ = "idle";
};

} // namespace bsm::mcp
