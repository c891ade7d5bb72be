#pragma once

// The node's configuration: one options struct per component, each declared
// in its component's folder with its section of the config file (keys,
// types, ranges, rules; runtime/config/config_section.hpp). This file
// gathers them and holds the one reader: `load_node_config` parses a YAML
// file plus `--set` overrides once at start-up; afterwards the structs are
// passed by value. Actors never read files themselves. The keys node.*,
// http.listen, cluster.*, store.durability, security.enabled, logging.*
// and agents.paths are a contract (DESIGN.md).

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/memory_options.hpp"
#include "agents/a2a/a2a_options.hpp"
#include "agents/agents_options.hpp"
#include "agents/models/openai_options.hpp"
#include "agents/tools/tools_options.hpp"
#include "gateway/mcp_options.hpp"
#include "plugins/plugin_options.hpp"
#include "runtime/budgets/budget_options.hpp"
#include "runtime/cluster/cluster_options.hpp"
#include "runtime/http/http_options.hpp"
#include "runtime/logging/logging_options.hpp"
#include "runtime/mailbox/mailbox_options.hpp"
#include "runtime/scheduler_options.hpp"
#include "runtime/security/security_options.hpp"
#include "runtime/store/store_options.hpp"
#include "runtime/supervision/shutdown_options.hpp"
#include "runtime/supervision/supervision_options.hpp"
#include "tasks/tasks_options.hpp"
#include "workflows/workflows_options.hpp"

namespace bsm {

/// Section `node:`. Reload: none.
struct node_options {
  /// Unique name of this node in the cluster (runtime/cluster/node_name.hpp).
  std::string name = "node-a";
  /// RocksDB and everything else the node keeps.
  std::filesystem::path data_dir = "./data/node-a";
};

/// Everything a node reads from its config file.
struct node_config {
  /// The file the config was read from; empty for pure defaults.
  std::filesystem::path source;
  node_options node;
  http_options http;
  cluster_options cluster;
  store_options store;
  memory_options memory;
  mailbox_options mailbox;
  security_options security;
  logging_options logging;
  supervision_options supervision;
  shutdown_options shutdown;
  scheduler_options scheduler;
  agents_options agents;
  openai_options openai;
  tools_options tools;
  gateway::mcp_options mcp;
  a2a_options a2a;
  plugins_options plugins;
  tasks::tasks_options tasks;
  workflows::workflows_options workflows;
  budgets::budgets_options budgets;
};

/// One `--set key.path=value` from the command line.
struct config_override {
  std::string key;
  std::string value;
};

/// Parses "a.b=value". Errors: `invalid_argument` without '=' or key.
/// Also fails for a key without a section ("name=x"). Splits at the first
/// '='; the value stays text here and `load_node_config` parses it as YAML
/// (`[a:1,b:2]` is a list, `true` a boolean).
[[nodiscard]] caf::expected<config_override>
parse_override(const std::string& arg);

/// Reads `file`, applies `overrides` on top, and validates the result.
/// Errors (all `invalid_argument`, with one line naming file, line and key):
/// a missing or unreadable file, a YAML syntax error, an unknown key, a
/// value of the wrong type, a value out of range. Relative paths in the
/// file stay relative to the working directory, as the operator typed them.
/// An empty `file` means no file: the defaults plus `overrides`. An override
/// of a key that takes one value uses its text verbatim when the text is not
/// a single YAML value, so `--set http.listen=[::1]:8080` is an address.
/// Errors at an override name it instead of a file line.
[[nodiscard]] caf::expected<node_config>
load_node_config(const std::filesystem::path& file,
                 const std::vector<config_override>& overrides);

/// The warning for a node that listens beyond loopback without
/// credentials because security.allow_insecure is set, or empty.
[[nodiscard]] std::string insecure_warning(const node_config& cfg);

/// Checks every section's rules, for configs built in code. Errors name the
/// key but no file: "key 'scheduler.threads': 300 is out of ...".
[[nodiscard]] caf::error validate(const node_config& cfg);

/// The tool server names the config takes (MCP servers, remote A2A
/// agents): no plugin may name itself so.
[[nodiscard]] std::vector<std::string>
tool_server_names(const node_config& cfg);

/// Every key of every section in file order, with its value in `cfg` as
/// config text: ("http.listen", "127.0.0.1:8080"), ... (mcp_servers by
/// name). Tests compare configs and the shipped file with it.
[[nodiscard]] std::vector<std::pair<std::string, std::string>>
config_values(const node_config& cfg);

} // namespace bsm
