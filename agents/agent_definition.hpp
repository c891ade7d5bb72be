#pragma once

// Agent definitions: one YAML file per agent (agents/<name>.yaml), read
// into a validated v1::AgentDefinition. Errors name the file, the line and
// the dotted key, as the node config does, e.g.
//   "agents/legal.yaml:7: key 'limits.max_steps': 0 is out of range 1..100".
//
// Schema (every key but `name` optional; defaults in brackets):
//   name: legal                 # [a-z0-9_-], 1..64
//   description: ...
//   model: {provider: local|openai [local], name [local], temperature,
//           max_tokens [0], base_url, api_key_env}
//   system_prompt: ...
//   tools: [knowledge_search, ...]   # "server__*" allows a whole MCP server
//   delegates: [legal, ...]     # agents ask_agent may ask; "*" any [none]
//   knowledge: {paths: [dir, ...] (relative to the file), top_k [4]}
//   memory: {history_turns [20]}
//   limits: {max_steps [6], max_tool_calls [12], timeout [60s],
//            token_budget [0 = none]}
//   placement: {node [empty = consistent hashing over the members]
//               (a node.name: A-Z, a-z, 0-9, '.', '_', '-', 1..64),
//               stateless [false] (true: runs on a live member while its
//               owner is down)}

#include <filesystem>
#include <vector>

#include <caf/expected.hpp>

#include "protocols/caf_types.hpp"

namespace bsm::agents {

/// Reads one definition file. Errors: invalid_argument (with file:line and
/// key) for a missing file, bad YAML, unknown or missing keys, bad values,
/// a knowledge folder that does not exist.
[[nodiscard]] caf::expected<v1::AgentDefinition>
load_definition(const std::filesystem::path& file);

/// Reads every `*.yaml`/`*.yml` file of each path (a file, or a folder read
/// without recursion), sorted by name. Errors: those of `load_definition`,
/// a path that does not exist, two files defining the same name.
[[nodiscard]] caf::expected<std::vector<v1::AgentDefinition>>
load_definitions(const std::vector<std::filesystem::path>& paths);

/// True if `tool` is allowed by `def.tools()` (exact names or a "prefix*"
/// pattern).
[[nodiscard]] bool allows_tool(const v1::AgentDefinition& def,
                               const std::string& tool);

/// True if `def.delegates()` lets the agent ask `agent` (its exact name,
/// or "*").
[[nodiscard]] bool allows_delegation(const v1::AgentDefinition& def,
                                     const std::string& agent);

/// "<provider>/<model name>", as GET /v1/agents shows it.
[[nodiscard]] std::string model_label(const v1::AgentDefinition& def);

} // namespace bsm::agents
