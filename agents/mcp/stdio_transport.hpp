#pragma once

// The stdio transport of MCP: newline-delimited JSON-RPC with a server in a
// child process (agents/mcp/child_process.hpp). Lines over
// `max_line_bytes` fail the stream with `resource_exhausted`; the server
// exiting or closing its stdout fails it with `unavailable`, naming the
// exit status, the client's activity and the last stderr line.

#include <memory>
#include <string>

#include "agents/mcp/child_process.hpp"
#include "agents/mcp/transport.hpp"

namespace bsm::mcp {

class stdio_transport final : public transport {
public:
  /// Takes over a started server process.
  stdio_transport(std::unique_ptr<child_process> proc, size_t max_line_bytes);

  /// Stops the process unless close() did (grace 2s).
  ~stdio_transport() override;

  caf::error send(const std::string& message,
                  clock::time_point deadline) override;

  caf::expected<std::optional<std::string>>
  receive(clock::time_point deadline) override;

  bool usable() const noexcept override {
    return !broken_;
  }

  /// child_process::terminate; returns the exit status as text.
  std::string close(std::chrono::milliseconds grace) override;

  /// The exit status of the last close().
  const exit_status& closed_with() const noexcept {
    return closed_with_;
  }

  child_process& process() noexcept {
    return *proc_;
  }

private:
  caf::error read_some(int timeout_ms);
  std::optional<std::string> next_line();
  caf::error fail(caf::error err);
  caf::error gone();

  std::unique_ptr<child_process> proc_;
  size_t max_line_bytes_;
  std::string in_;
  /// Bytes of `in_` already known to hold no line break.
  size_t scanned_ = 0;
  /// Set once the stream is unusable; every later call returns it.
  caf::error broken_;
  bool closed_ = false;
  exit_status closed_with_;
};

} // namespace bsm::mcp
