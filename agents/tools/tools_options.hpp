#pragma once

// Tools of agents (section `tools:`): call deadlines and the MCP servers
// the tool host runs (agents/tools/tool_host.hpp). The initialisers are the
// defaults; keys and rules are in tools_options.cpp. Reload: none; a change
// needs a restart.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/mcp/server_requests.hpp"
#include "agents/tools/mcp_auth_options.hpp"
#include "runtime/config/config_section.hpp"

namespace bsm {

/// One MCP tool server the node uses: a child process it runs (stdio,
/// `command`) or a remote endpoint (Streamable HTTP, `url`); its actor is
/// restarted by its supervisor when the server dies. Its tools reach
/// models as "<name>__<tool>".
struct mcp_server_config {
  /// [a-z0-9_-], 1..32 characters, no "__"; unique among the servers.
  std::string name;
  /// The program: a path, or a name looked up in PATH. Exactly one of
  /// `command` and `url` is required.
  std::string command;
  /// Its arguments (only with `command`).
  std::vector<std::string> args;
  /// Variables added to the node's environment for the server (only with
  /// `command`). Names: [A-Za-z_][A-Za-z0-9_]*.
  std::map<std::string, std::string> env;
  /// Overrides tools.call_timeout for this server's tools. Unset: no
  /// override.
  std::optional<std::chrono::milliseconds> call_timeout;
  /// The Streamable HTTP endpoint, http:// or https://.
  std::string url;
  /// Headers sent to `url` on every request (only with `url`). A value may
  /// hold "${NAME}", replaced by the environment variable when the server
  /// starts, so secrets stay out of the file; values are never logged or
  /// shown.
  std::map<std::string, std::string> headers;
  /// Overrides tools.max_call_time for this server's tools. Unset: no
  /// override.
  std::optional<std::chrono::milliseconds> max_call_time{};
  /// How the server's elicitation/create requests are answered: decline
  /// (nobody is asked, nothing is agreed to), defaults (accept with the
  /// requested schema's defaults) or ask (a question to the turn's caller,
  /// answered through the API). Default: decline.
  mcp::elicitation_policy elicitation = mcp::elicitation_policy::decline;
  /// With `ask`: how long a question waits for its answer before it is
  /// declined; never past the call's max_call_time. Default 5 minutes.
  std::chrono::milliseconds ask_timeout{300'000};
  /// The server's sampling/createMessage requests are answered by the
  /// calling agent's model (and counted in its usage). Default: false
  /// (refused with error -32601; the capability is not declared).
  bool allow_sampling = false;
  /// Answered to roots/list (file:// URIs). Empty: the roots capability is
  /// not declared. They change with a restart of the node.
  std::vector<mcp::root> roots{};
  /// OAuth client credentials for `url` (agents/tools/mcp_auth_options.hpp).
  /// Unset: no OAuth (a static Authorization header may still be given).
  std::optional<mcp_auth_config> auth{};
};

struct tools_options {
  /// Deadline of one tool call when the call names none.
  std::chrono::milliseconds call_timeout{30'000};
  /// The longest an MCP tool call may run while the server's progress
  /// notifications keep extending its call_timeout (each moves the
  /// deadline to call_timeout from then). Never shorter than call_timeout.
  std::chrono::milliseconds max_call_time{600'000};
  /// Time a server gets to start and answer the MCP handshake and the
  /// first tool list.
  std::chrono::milliseconds startup_timeout{20'000};
  /// Time the tool ledger gets to keep a completed call's result (the turn
  /// does not wait for it; a result not kept is logged).
  std::chrono::milliseconds ledger_timeout{10'000};
  /// Only in the file (not `--set`).
  std::vector<mcp_server_config> mcp_servers;
};

/// The `tools:` section.
const config::section<tools_options>& tools_section();

// Checks the `tools:` and `a2a:` sections share: each the problem, or
// empty. A value is never quoted (it may hold a secret).

/// A tool server's name (a path segment and the "<name>__" of tool names).
std::string tool_server_name_problem(std::string_view name);
/// An RFC 9110 header name.
std::string http_header_name_problem(std::string_view name);
/// A header value: no line breaks or NUL; "${NAME}" references well formed.
std::string http_header_value_problem(std::string_view value);
/// An http:// or https:// URL with a host.
std::string http_url_problem(std::string_view url);

} // namespace bsm
