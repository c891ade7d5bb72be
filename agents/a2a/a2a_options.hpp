#pragma once

// A2A, the Agent2Agent protocol (section `a2a:`), both ways: the server
// at /a2a/agents/{name} that serves the node's agents to agents of other
// frameworks (gateway/, http_api/a2a_routes.cpp), and the remote A2A
// agents the node's agents call as tools (a2a_remote.hpp). The
// initialisers are the defaults; keys and rules are in a2a_options.cpp.
// Reload: a restart.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/config/config_section.hpp"

namespace bsm {

/// A remote A2A agent, offered to the node's agents as the tool
/// "<name>__ask" (an agent lists it among its `tools`). Its actor fetches
/// the card when it starts and is restarted with backoff while that fails.
struct a2a_remote_agent {
  /// [a-z0-9_-], 1..32 characters, no "__"; unique among the remote agents
  /// and the MCP servers (tools.mcp_servers).
  std::string name;
  /// The agent's card (a URL ending in ".json") or its base URL (the card
  /// is then at <url>/.well-known/agent-card.json); http:// or https://.
  std::string url;
  /// Headers sent with every request (the card's too). A value may hold
  /// "${NAME}", replaced by the environment variable when the agent's
  /// actor starts; values are never logged or shown.
  std::map<std::string, std::string> headers;
  /// Deadline of one call. Unset: tools.call_timeout.
  std::optional<std::chrono::milliseconds> call_timeout;
};

struct a2a_options {
  /// Serve /a2a at all.
  bool enabled = true;
  /// Tasks remembered for GetTask and CancelTask (each about 200 bytes
  /// besides its answer); beyond them the oldest is forgotten.
  uint64_t max_tasks = 10'000;
  /// Bytes of answers the remembered tasks keep together; beyond them the
  /// oldest tasks are forgotten. Default: 64 MiB.
  uint64_t max_task_bytes = 64ULL << 20;
  /// The base URL the Agent Cards name ("https://agents.example.com"), as
  /// clients reach the node through proxies. Empty: http(s)://<Host of the
  /// card's request>.
  std::string public_url;
  /// Remote agents to call. Only in the file (not `--set`).
  std::vector<a2a_remote_agent> agents;
};

/// The `a2a:` section.
const config::section<a2a_options>& a2a_section();

} // namespace bsm
