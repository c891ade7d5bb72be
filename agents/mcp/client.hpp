#pragma once

// A blocking MCP client (spec 2025-11-25): JSON-RPC 2.0 with one tool
// server over a transport (agents/mcp/transport.hpp): stdio with a child
// process, or Streamable HTTP. It knows nothing of actors; the node runs
// one per server in a detached actor.
//
// Replies are matched by id. Whatever else arrives while a call waits is
// handled in passing: a tools/list_changed is remembered for
// `take_tools_changed`, a notifications/progress of the running tool call
// goes to `on_progress` and extends the call's deadline (up to its
// max_time), other notifications are skipped; requests from the server are
// answered: `ping` with {}, elicitation/create, sampling/createMessage and
// roots/list by the handlers of client_options (agents/mcp/
// server_requests.hpp), declared as capabilities in the handshake only
// where a handler is set; anything else with error -32601. Replies to
// calls that already timed out are dropped.
//
// Errors, for every call:
// - `unavailable`: the server exited or closed its stdout (the message
//   names its exit status and last stderr line), or its HTTP endpoint
//   failed; once `usable()` is false every later call fails the same way
//   and the owner should shut the client down and start anew.
// - `deadline_exceeded`: no reply in time. The client stays usable; it sends
//   notifications/cancelled and drops the late reply.
// - `resource_exhausted`: the server wrote a message longer than
//   `max_line_bytes`; the stream is unusable afterwards (as unavailable).
// Over HTTP, a request the server answers with 404 for the session runs
// `initialize` again (once) and is sent anew.
// - `internal`: a JSON-RPC error reply, or a reply of the wrong shape.

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "agents/mcp/child_process.hpp"
#include "agents/mcp/http_transport.hpp"
#include "agents/mcp/server_requests.hpp"
#include "agents/mcp/transport.hpp"

namespace bsm::mcp {

/// The protocol version the client asks for.
inline constexpr std::string_view protocol_version = "2025-11-25";

/// Versions the client accepts when a server counters with another; their
/// tools/list and tools/call are the same as far as this client goes.
inline constexpr std::array<std::string_view, 4> known_protocol_versions
  = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};

struct client_options {
  /// Sent as clientInfo. Default: "bsm-agentos", "0".
  std::string name = "bsm-agentos";
  std::string version = "0";
  /// Longest message (stdio: line) accepted from the server. Default:
  /// 16 MiB.
  size_t max_line_bytes = size_t{16} << 20;
  /// Receives one line per protocol oddity (a line that is not JSON, a late
  /// reply) and each notifications/message of the server. May be empty.
  std::function<void(std::string_view)> log;
  /// Answers elicitation/create (params as JSON text). Empty: the
  /// capability is not declared and requests get error -32601.
  std::function<rpc_answer(const std::string&)> on_elicitation;
  /// Answers sampling/createMessage, likewise. May block (a model call).
  std::function<rpc_answer(const std::string&)> on_sampling;
  /// Answered to roots/list. Unset: the capability is not declared. They
  /// do not change while the client lives.
  std::optional<std::vector<root>> roots;
  /// Each progress notification of the running tool call. May be empty.
  std::function<void(const progress_update&)> on_progress;
};

/// What the server said about itself in the handshake.
struct server_info {
  /// The protocol version both sides use from now on.
  std::string protocol_version;
  std::string name;
  std::string version;
  /// The server's `capabilities` as JSON text.
  std::string capabilities_json;
};

/// One tool as the server lists it.
struct tool_info {
  std::string name;
  std::string description;
  /// The JSON Schema of the arguments, as JSON text ("{}" if none).
  std::string input_schema_json;
};

/// The outcome of a tool that ran (or that the server refused to run).
struct tool_result {
  /// The text parts of the content joined by newlines; other parts as
  /// "[image image/png]" and the like. The structured content's JSON if
  /// there is nothing else.
  std::string content;
  /// The tool failed (isError), or the server refused the call with
  /// JSON-RPC error -32602 (unknown tool, bad arguments).
  bool is_error = false;
  /// structuredContent as JSON text; empty if the tool sent none.
  std::string structured_json;
};

/// REQUIRES: one thread at a time (not thread-safe).
class client {
public:
  using duration = std::chrono::milliseconds;

  /// Takes over a transport; call `initialize` next.
  explicit client(std::unique_ptr<transport> channel, client_options opts = {});

  /// Shuts the server down (`shutdown(2s)`) unless that happened.
  ~client();

  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Spawns the server and runs `initialize` within `timeout`.
  /// Errors: those of child_process::spawn and initialize.
  [[nodiscard]] static caf::expected<std::unique_ptr<client>>
  connect(spawn_options spawn, client_options opts, duration timeout);

  /// Connects to a Streamable HTTP server and runs `initialize` within
  /// `timeout`. `http.max_message_bytes` is set from `opts.max_line_bytes`.
  /// Errors: those of initialize.
  [[nodiscard]] static caf::expected<std::unique_ptr<client>>
  connect_http(http_transport_options http, client_options opts,
               duration timeout);

  /// The handshake: initialize, then notifications/initialized.
  /// Errors: `failed_precondition` if the server counters with a protocol
  /// version not in `known_protocol_versions` (the caller should shut it
  /// down); the common ones.
  [[nodiscard]] caf::expected<server_info> initialize(duration timeout);

  /// Every tool, following nextCursor (at most 1000 pages) within `timeout`.
  /// Errors: `internal` for a repeated cursor; the common ones.
  [[nodiscard]] caf::expected<std::vector<tool_info>>
  list_tools(duration timeout);

  /// Runs a tool. `arguments_json` is a JSON object in text; empty means {}.
  /// The call carries a progress token; each progress notification for it
  /// moves the deadline to `timeout` from then, never beyond `max_time`
  /// after the start (a `max_time` below `timeout`: no extension).
  /// Errors: `invalid_argument` for arguments that are not a JSON object;
  /// the common ones (JSON-RPC error -32602 is a result with is_error).
  [[nodiscard]] caf::expected<tool_result>
  call_tool(const std::string& name, const std::string& arguments_json,
            duration timeout, duration max_time = duration::zero());

  /// Handles what the server sent meanwhile, without blocking: answers its
  /// requests, notes list changes, notices an exit. Errors: the common
  /// ones but `deadline_exceeded`.
  [[nodiscard]] caf::error poll();

  /// True if the server announced a changed tool list since the last call.
  bool take_tools_changed() noexcept;

  /// False once the stream is unusable (the server exited, an over-long
  /// line, `shutdown`): every call fails from then on.
  bool usable() const noexcept {
    return !broken_ && channel_->usable();
  }

  /// The server process (its pid, its stderr tail); null over HTTP.
  child_process* process() noexcept;

  /// What the server said in the handshake (empty before `initialize`).
  const server_info& server() const noexcept {
    return server_;
  }

  /// Stops the server (child_process::terminate; over HTTP, DELETE of the
  /// session) and fails later calls. Returns how it ended, for the log
  /// ("exit code 0", "signal 15 (Terminated)", "session deleted").
  std::string shutdown(duration grace);

private:
  using clock = std::chrono::steady_clock;

  struct reply;

  /// The tool call whose progress notifications extend its deadline.
  struct progress_watch {
    std::string token_json;
    duration timeout;
    clock::time_point cap;
    /// The deadline a notification moved the call's to; taken by
    /// await_reply.
    std::optional<clock::time_point> extended;
  };

  caf::expected<server_info> handshake(clock::time_point deadline);
  caf::expected<reply> request(std::string_view method,
                               const std::string& params,
                               clock::time_point deadline);
  caf::expected<reply> request_once(std::string_view method,
                                    const std::string& params,
                                    clock::time_point deadline);
  caf::error notify(std::string_view method, std::string params,
                    clock::time_point deadline);
  caf::expected<reply> await_reply(int64_t id, clock::time_point deadline);
  caf::error handle_message(const std::string& text,
                            std::optional<int64_t> want,
                            std::optional<reply>& out,
                            clock::time_point deadline);
  caf::error answer(const std::string& id_json, std::string_view method,
                    const std::string& params_json, clock::time_point deadline);
  rpc_answer answer_of(std::string_view method, const std::string& params_json);
  void on_progress(const std::string& params_json);
  std::string capabilities_json() const;
  caf::error send(const std::string& message, clock::time_point deadline);
  caf::error checked(caf::error err);
  void log(std::string_view what) const;

  std::unique_ptr<transport> channel_;
  client_options opts_;
  server_info server_;
  int64_t next_id_ = 1;
  /// Set once the client is unusable; every later call returns it.
  caf::error broken_;
  bool tools_changed_ = false;
  bool shut_down_ = false;
  std::optional<progress_watch> watch_;
  int64_t next_progress_token_ = 1;
};

} // namespace bsm::mcp
