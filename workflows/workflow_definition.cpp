#include "workflows/workflow_definition.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "runtime/cluster/node_name.hpp"
#include "runtime/error.hpp"
#include "workflows/definition_reader.hpp"
#include "workflows/workflow_time.hpp"
#include "workflows/yaml_to_json.hpp"

namespace bsm::workflows {

namespace {

using detail::object_reader;
using detail::problem;
using nlohmann::json;
using std::chrono::milliseconds;

// Keys every step may have, and those a map's inline step may not.
const std::vector<std::string_view> common_keys
  = {"id",           "type",    "needs",   "when",       "retries",
     "max_attempts", "backoff", "timeout", "on_failure", "compensation"};
const std::vector<std::string_view> outer_only_keys
  = {"id", "needs", "on_failure", "compensation"};

std::vector<std::string_view> keys_of_type(size_t type) {
  switch (type) {
    case 0: return {"agent", "input", "session"};
    case 1: return {"tool", "arguments"};
    case 2: return {"actor", "message", "payload"};
    case 3: return {"duration", "until"};
    case 4: return {"prompt", "default"};
    case 5: return {"workflow", "input"};
    default: return {"over", "step", "parallelism"};
  }
}

// An OpenAI function name, which every kind of tool has.
bool is_tool_name(std::string_view x) {
  return !x.empty() && x.size() <= 64
         && std::all_of(x.begin(), x.end(), [](char c) {
              return std::isalnum(static_cast<unsigned char>(c)) || c == '_'
                     || c == '-';
            });
}

// An actor's name as routes take it: a path of name segments.
bool is_actor_name(std::string_view x) {
  return !x.empty() && x.size() <= 200 && x.front() != '/' && x.back() != '/'
         && std::all_of(x.begin(), x.end(), [](char c) {
              return std::isalnum(static_cast<unsigned char>(c)) || c == '_'
                     || c == '-' || c == '.' || c == '/';
            });
}

step_definition read_step(object_reader& in, bool inline_step);

void read_agent(object_reader& in, agent_step& out) {
  out.agent = in.name("agent", true);
  out.input = in.text("input", true);
  out.session = in.text("session", false);
}

void read_tool(object_reader& in, tool_step& out) {
  out.tool = in.text("tool", true);
  if (in.ok() && !is_tool_name(out.tool))
    in.fail("tool", "expected a tool name ([A-Za-z0-9_-], 1..64), got "
                      + detail::describe(json(out.tool)));
  out.arguments = in.object("arguments");
}

void read_message(object_reader& in, message_step& out) {
  out.actor = in.text("actor", true);
  if (in.ok() && !is_actor_name(out.actor))
    in.fail("actor", "expected an actor's name, got "
                       + detail::describe(json(out.actor)));
  out.type = in.text("message", true);
  out.payload = in.object("payload");
}

void read_sleep(object_reader& in, sleep_step& out) {
  if (in.has("duration") == in.has("until")) {
    in.fail("", "a sleep has exactly one of 'duration' and 'until'");
    return;
  }
  if (in.has("duration")) {
    out.duration = in.duration("duration", true);
    return;
  }
  out.until = in.text("until", true);
  // An expression is checked by the validation; a time must parse now.
  if (in.ok() && out.until.find("${") == std::string::npos
      && !parse_rfc3339(out.until))
    in.fail("until", "expected an RFC 3339 time such as "
                     "2026-03-01T09:00:00Z or an expression, got "
                       + detail::describe(json(out.until)));
}

void read_approval(object_reader& in, approval_step& out,
                   milliseconds timeout) {
  out.prompt = in.text("prompt", true);
  auto outcome = in.text("default", false);
  if (!in.ok() || !in.has("default"))
    return;
  if (outcome != "approve" && outcome != "reject")
    in.fail("default", "expected one of approve|reject, got "
                         + detail::describe(json(outcome)));
  else if (timeout.count() == 0)
    in.fail("default", "a default outcome needs a 'timeout'");
  else
    out.default_outcome = outcome == "approve" ? approval_outcome::approve
                                               : approval_outcome::reject;
}

void read_workflow(object_reader& in, workflow_step& out) {
  out.workflow = in.name("workflow", true);
  if (in.has("input"))
    out.input = in.any("input");
}

void read_map(object_reader& in, map_step& out) {
  if (!in.has("over"))
    in.fail("over", "missing");
  out.over = in.any("over");
  out.parallelism = in.integer("parallelism", 1, 1000, 4);
  auto inner = in.nested("step", true);
  if (!inner)
    return;
  auto step = read_step(*inner, true);
  if (in.ok() && std::holds_alternative<map_step>(step.body))
    inner->fail("type", "a map's step cannot be a map");
  out.step = std::make_shared<const step_definition>(std::move(step));
}

void read_body(object_reader& in, size_t type, step_definition& out) {
  switch (type) {
    case 0: read_agent(in, out.body.emplace<agent_step>()); break;
    case 1: read_tool(in, out.body.emplace<tool_step>()); break;
    case 2: read_message(in, out.body.emplace<message_step>()); break;
    case 3: read_sleep(in, out.body.emplace<sleep_step>()); break;
    case 4:
      read_approval(in, out.body.emplace<approval_step>(), out.timeout);
      break;
    case 5: read_workflow(in, out.body.emplace<workflow_step>()); break;
    default: read_map(in, out.body.emplace<map_step>()); break;
  }
}

void read_attempts(object_reader& in, step_definition& out) {
  if (in.has("retries") && in.has("max_attempts")) {
    in.fail("retries", "give either 'retries' or 'max_attempts'");
    return;
  }
  if (in.has("retries"))
    out.max_attempts = in.integer("retries", 0, 99, 0) + 1;
  else
    out.max_attempts = in.integer("max_attempts", 1, 100, 0);
}

void read_backoff(object_reader& in, backoff_spec& out) {
  auto backoff = in.nested("backoff", false);
  if (!backoff)
    return;
  backoff->only({"initial", "max", "multiplier"}, "a backoff");
  out.initial = backoff->duration("initial", false).value_or(milliseconds{0});
  out.max = backoff->duration("max", false).value_or(milliseconds{0});
  out.multiplier = backoff->number("multiplier", 1.0, 10.0, 2.0);
  // Steps run as tasks, whose backoff doubles each wait.
  if (backoff->ok() && out.multiplier != 2.0)
    backoff->fail("multiplier", "only 2 for now (the task queue doubles "
                                "each wait)");
  if (backoff->ok() && out.initial.count() > 0 && out.max.count() > 0
      && out.max < out.initial)
    backoff->fail("max", "is below 'initial'");
}

void read_failure(object_reader& in, step_definition& out) {
  auto policy = in.text("on_failure", false);
  if (!in.ok())
    return;
  if (policy == "continue")
    out.on_failure = failure_policy::continue_run;
  else if (policy == "compensate")
    out.on_failure = failure_policy::compensate;
  else if (!policy.empty() && policy != "fail")
    in.fail("on_failure", "expected one of fail|continue|compensate, got "
                            + detail::describe(json(policy)));
  out.compensation = in.name("compensation", false);
  bool compensates = out.on_failure == failure_policy::compensate;
  if (in.ok() && compensates && out.compensation.empty())
    in.fail("compensation", "missing (on_failure is compensate)");
  if (in.ok() && !compensates && !out.compensation.empty())
    in.fail("compensation", "needs 'on_failure: compensate'");
}

std::optional<size_t> read_type(object_reader& in) {
  auto type = in.text("type", true);
  if (!in.ok())
    return std::nullopt;
  for (size_t i = 0; i < std::size(step_type_names); ++i)
    if (type == step_type_names[i])
      return i;
  in.fail("type", "expected one of "
                  "agent|tool|message|sleep|approval|workflow|map, got "
                    + detail::describe(json(type)));
  return std::nullopt;
}

step_definition read_step(object_reader& in, bool inline_step) {
  step_definition out;
  if (inline_step) {
    for (auto key : outer_only_keys)
      if (in.has(key))
        in.fail(key, "belongs on the map step, not its inline step");
  } else {
    out.id = in.name("id", true);
    if (in.ok())
      in.name_as("step '" + out.id + "'");
  }
  auto type = read_type(in);
  if (!type)
    return out;
  auto known = common_keys;
  auto own = keys_of_type(*type);
  known.insert(known.end(), own.begin(), own.end());
  std::string kind = step_type_names[*type];
  in.only(known, (kind[0] == 'a' ? "an " : "a ") + kind + " step");
  if (!inline_step)
    out.needs = in.names("needs");
  out.when = in.text("when", false);
  if (in.ok() && in.has("when") && out.when.empty())
    in.fail("when", "is empty");
  read_attempts(in, out);
  read_backoff(in, out.backoff);
  out.timeout = in.duration("timeout", false).value_or(milliseconds{0});
  if (in.ok() && in.has("timeout") && out.timeout.count() == 0)
    in.fail("timeout", "must be more than 0");
  if (!inline_step)
    read_failure(in, out);
  read_body(in, *type, out);
  return out;
}

void read_steps(object_reader& in, const definition_limits& limits,
                std::vector<step_definition>& out) {
  auto count = in.list("steps", true);
  if (!in.ok())
    return;
  if (count == 0)
    in.fail("steps", "a workflow has at least one step");
  else if (count > limits.max_steps)
    in.fail("steps", "at most " + std::to_string(limits.max_steps)
                       + " steps, got " + std::to_string(count));
  for (size_t i = 0; i < count && in.ok(); ++i)
    if (auto step = in.element("steps", i))
      out.push_back(read_step(*step, false));
}

workflow_definition read_definition(object_reader& in,
                                    const definition_limits& limits) {
  workflow_definition out;
  in.only({"name", "description", "node", "input", "output", "steps"},
          "a workflow");
  out.name = in.name("name", true);
  out.description = in.text("description", false);
  if (in.ok() && out.description.size() > limits.max_description_bytes)
    in.fail("description", "at most "
                             + std::to_string(limits.max_description_bytes)
                             + " bytes");
  out.node = in.text("node", false);
  if (auto problem = node_name_problem(out.node);
      in.ok() && !out.node.empty() && !problem.empty())
    in.fail("node", problem);
  if (in.has("input")) {
    out.input = in.object("input");
  }
  out.output = in.any("output");
  read_steps(in, limits, out.steps);
  return out;
}

caf::expected<workflow_definition>
parse_with_lines(const json& body, const definition_limits& limits,
                 const std::function<std::string(const problem&)>& render) {
  std::optional<problem> failure;
  if (!body.is_object())
    return make_error(errc::invalid_argument,
                      render({"", "expected a workflow definition (an "
                                  "object), got "
                                    + detail::describe(body)}));
  object_reader in{body, "", "", "", failure};
  auto result = read_definition(in, limits);
  if (failure)
    return make_error(errc::invalid_argument, render(*failure));
  return result;
}

// -- to_json ------------------------------------------------------------------

json body_json(const agent_step& x) {
  json out{{"agent", x.agent}, {"input", x.input}};
  if (!x.session.empty())
    out["session"] = x.session;
  return out;
}

json body_json(const tool_step& x) {
  return {{"tool", x.tool}, {"arguments", x.arguments}};
}

json body_json(const message_step& x) {
  return {{"actor", x.actor}, {"message", x.type}, {"payload", x.payload}};
}

json body_json(const sleep_step& x) {
  if (x.duration)
    return {{"duration", render_duration(*x.duration)}};
  return {{"until", x.until}};
}

json body_json(const approval_step& x) {
  json out{{"prompt", x.prompt}};
  if (x.default_outcome)
    out["default"]
      = *x.default_outcome == approval_outcome::approve ? "approve" : "reject";
  return out;
}

json body_json(const workflow_step& x) {
  return {{"workflow", x.workflow}, {"input", x.input}};
}

json body_json(const map_step& x) {
  return {{"over", x.over},
          {"step", x.step ? to_json(*x.step) : json(nullptr)},
          {"parallelism", x.parallelism}};
}

const char* policy_name(failure_policy x) {
  switch (x) {
    case failure_policy::continue_run: return "continue";
    case failure_policy::compensate: return "compensate";
    default: return "fail";
  }
}

json backoff_json(const backoff_spec& x) {
  json out{{"multiplier", x.multiplier}};
  if (x.initial.count() > 0)
    out["initial"] = render_duration(x.initial);
  if (x.max.count() > 0)
    out["max"] = render_duration(x.max);
  return out;
}

} // namespace

const char* type_name(const step_body& body) {
  return step_type_names[body.index()];
}

bool is_workflow_name(std::string_view x) {
  return detail::is_name(x);
}

caf::expected<workflow_definition>
parse_definition(const json& body, const definition_limits& limits) {
  return parse_with_lines(body, limits,
                          [](const problem& x) { return x.message; });
}

caf::expected<workflow_definition>
parse_definition_yaml(std::string_view text, const std::string& origin,
                      const definition_limits& limits) {
  auto document = yaml_to_json(text, origin);
  if (!document)
    return document.error();
  return parse_with_lines(document->value, limits, [&](const problem& x) {
    return location(origin, document->lines.line_of(x.path)) + ": " + x.message;
  });
}

caf::expected<workflow_definition>
load_definition(const std::filesystem::path& file,
                const definition_limits& limits) {
  std::ifstream in{file, std::ios::binary};
  std::ostringstream text;
  text << in.rdbuf();
  if (!in)
    return make_error(errc::invalid_argument,
                      file.string() + ": cannot be read");
  if (file.extension() != ".json")
    return parse_definition_yaml(text.str(), file.string(), limits);
  auto body = json::parse(text.str(), nullptr, false);
  if (body.is_discarded())
    return make_error(errc::invalid_argument,
                      file.string() + ": not valid JSON");
  auto result = parse_definition(body, limits);
  if (!result)
    return make_error(errc::invalid_argument,
                      file.string() + ": "
                        + detail::message_of(result.error()));
  return result;
}

json to_json(const step_definition& step) {
  auto out = std::visit([](const auto& x) { return body_json(x); }, step.body);
  out["type"] = type_name(step.body);
  if (!step.id.empty())
    out["id"] = step.id;
  if (!step.needs.empty())
    out["needs"] = step.needs;
  if (!step.when.empty())
    out["when"] = step.when;
  if (step.max_attempts > 0)
    out["max_attempts"] = step.max_attempts;
  out["backoff"] = backoff_json(step.backoff);
  if (step.timeout.count() > 0)
    out["timeout"] = render_duration(step.timeout);
  if (!step.id.empty()) // a map's inline step has no policy of its own
    out["on_failure"] = policy_name(step.on_failure);
  if (!step.compensation.empty())
    out["compensation"] = step.compensation;
  return out;
}

json to_json(const workflow_definition& def) {
  json out{{"name", def.name}, {"steps", json::array()}};
  if (!def.description.empty())
    out["description"] = def.description;
  if (!def.node.empty())
    out["node"] = def.node;
  if (!def.input.is_null())
    out["input"] = def.input;
  if (!def.output.is_null())
    out["output"] = def.output;
  for (const auto& step : def.steps)
    out["steps"].push_back(to_json(step));
  return out;
}

} // namespace bsm::workflows
