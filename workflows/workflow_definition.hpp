#pragma once

// Workflow definitions: a DAG of steps, read from JSON or YAML into plain
// structs (docs/WORKFLOWS.md documents the format). Reading checks the
// shape of each field; workflow_validation.hpp checks what needs the whole
// definition (ids, needs, cycles, expressions, names of agents and tools).
//
// Errors name the step and the field, and in YAML the line:
//   "contract.yaml:14: step 'review': timeout: expected a duration such as
//    250ms, 30s, 5m, 2h or 1d, got '5 minutes'".

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

namespace bsm::workflows {

// -- step kinds ---------------------------------------------------------------

/// A chat turn of an agent.
struct agent_step {
  /// The agent's name.
  std::string agent;
  /// The user message: a text template ("Review ${input.contract}").
  std::string input;
  /// The session to continue: a text template; empty = a new session.
  std::string session;
};

/// A call of a built-in, MCP or plugin tool.
struct tool_step {
  std::string tool;
  /// The arguments: an object whose strings are text templates.
  nlohmann::json arguments = nlohmann::json::object();
};

/// A typed message asked of a named actor.
struct message_step {
  /// The actor's name (as for POST /v1/actors/{name}/messages).
  std::string actor;
  /// The message type, "bsm.v1.<Type>" (the key `message`).
  std::string type;
  /// The message's JSON mapping: an object whose strings are templates.
  nlohmann::json payload = nlohmann::json::object();
};

/// A durable timer: exactly one of `duration` and `until` is set.
struct sleep_step {
  std::optional<std::chrono::milliseconds> duration;
  /// An RFC 3339 time or a text template that yields one.
  std::string until;
};

/// What an approval becomes when nobody answered within its timeout.
enum class approval_outcome { approve, reject };

/// Waits for a human signal (approve or reject, with a payload). The
/// step's `timeout` is how long it waits.
struct approval_step {
  /// What the human is asked: a text template.
  std::string prompt;
  /// The outcome when `timeout` passes; none: the step fails.
  std::optional<approval_outcome> default_outcome;
};

/// A child run of another workflow.
struct workflow_step {
  std::string workflow;
  /// The child's input: any JSON whose strings are templates.
  nlohmann::json input = nlohmann::json::object();
};

struct step_definition;

/// The same step for each item of a list.
struct map_step {
  /// A list, or a text template that is exactly one `${...}` yielding one.
  nlohmann::json over;
  /// The step run for each item, which its templates read as `${item}`.
  /// Has no id, `needs`, `on_failure` or `compensation` of its own.
  /// Never null in a parsed definition.
  std::shared_ptr<const step_definition> step;
  /// Most items running at once. Default: 4. Range 1..1000.
  uint32_t parallelism = 4;
};

using step_body = std::variant<agent_step, tool_step, message_step, sleep_step,
                               approval_step, workflow_step, map_step>;

/// The value of `type:` for each alternative of `step_body`, in order.
inline constexpr const char* step_type_names[]
  = {"agent", "tool", "message", "sleep", "approval", "workflow", "map"};

/// "agent", "tool", ... for `body`.
[[nodiscard]] const char* type_name(const step_body& body);

// -- steps --------------------------------------------------------------------

/// What a failed step (its attempts used up) does to the run.
enum class failure_policy {
  /// The run fails; no further step starts. The default.
  fail,
  /// The step counts as done for the steps that need it (`continue`).
  continue_run,
  /// The step named by `compensation` runs, then the run fails.
  compensate,
};

/// The wait between attempts: `initial`, times `multiplier` after each
/// failure, at most `max`. A zero duration means the task queue's default
/// (tasks.backoff_initial, tasks.backoff_max).
struct backoff_spec {
  std::chrono::milliseconds initial{0};
  std::chrono::milliseconds max{0};
  /// Default: 2. Range 1..10.
  double multiplier = 2.0;
};

struct step_definition {
  /// [a-z0-9_-], 1..64; unique in the definition. Empty in a map's step.
  std::string id;
  /// The steps that must be done first.
  std::vector<std::string> needs;
  /// A condition (workflow_expression.hpp); false: the step is skipped.
  /// Empty = always.
  std::string when;
  /// Attempts in all (`max_attempts`, or `retries` + 1). 0 = the task
  /// queue's default (tasks.max_attempts). Range 0..100.
  uint32_t max_attempts = 0;
  backoff_spec backoff;
  /// One attempt's limit (an approval's wait). 0 = the queue's default
  /// (an approval waits for ever).
  std::chrono::milliseconds timeout{0};
  failure_policy on_failure = failure_policy::fail;
  /// The step run when this one fails; set iff on_failure is compensate.
  std::string compensation;
  step_body body;
};

// -- definitions --------------------------------------------------------------

struct workflow_definition {
  /// [a-z0-9_-], 1..64.
  std::string name;
  std::string description;
  /// The node that owns its runs; empty = the node they are started on.
  std::string node;
  /// A JSON-schema-like description of the run's input; null if none.
  /// Kept as written, not enforced here.
  nlohmann::json input;
  /// The run's output: any JSON whose strings are templates; null = the
  /// outputs of all steps.
  nlohmann::json output;
  std::vector<step_definition> steps;
};

/// Limits on what a definition may hold (definitions are kept on disk and
/// in memory).
struct definition_limits {
  size_t max_steps = 500;
  size_t max_description_bytes = 4096;
};

/// True for [a-z0-9_-], 1..64 (workflow names and step ids).
[[nodiscard]] bool is_workflow_name(std::string_view x);

/// Reads a definition from its JSON. Errors (invalid_argument, "step
/// '<id>': <field>: <what>", or "<field>: <what>" for the workflow's own):
/// not an object, an unknown key, a missing or mistyped field, a name or id
/// out of [a-z0-9_-]{1,64}, an unknown `type` or `on_failure`, a bad
/// duration or time, numbers out of range, both or neither of a sleep's
/// `duration` and `until`, `compensation` without `on_failure: compensate`
/// or the other way round, both `retries` and `max_attempts`, too many
/// steps.
[[nodiscard]] caf::expected<workflow_definition>
parse_definition(const nlohmann::json& body,
                 const definition_limits& limits = {});

/// Reads a definition from YAML text; errors as `parse_definition`,
/// prefixed with "<origin>:<line>: " (`origin` is a file name, may be
/// empty), and YAML syntax errors.
[[nodiscard]] caf::expected<workflow_definition>
parse_definition_yaml(std::string_view text, const std::string& origin,
                      const definition_limits& limits = {});

/// Reads a file: `.json` as JSON, anything else as YAML. Errors: those of
/// the parsers, a file that cannot be read, JSON syntax.
[[nodiscard]] caf::expected<workflow_definition>
load_definition(const std::filesystem::path& file,
                const definition_limits& limits = {});

/// The definition as JSON in its normal form: every field that is set,
/// durations in their largest unit, `retries` as `max_attempts`. Parsing
/// it gives the same definition.
[[nodiscard]] nlohmann::json to_json(const workflow_definition& def);

/// One step in the normal form of `to_json`.
[[nodiscard]] nlohmann::json to_json(const step_definition& step);

} // namespace bsm::workflows
