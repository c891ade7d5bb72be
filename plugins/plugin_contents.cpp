#include "plugins/plugin_contents.hpp"

#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>

#include "agents/tools/tool_names.hpp"
#include "agents/tools/tools_options.hpp"
#include "runtime/error.hpp"

namespace bsm::plugins {

namespace {

constexpr size_t max_kind_length = 64;

bool is_kind_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
         || c == '-';
}

// Kinds become one path segment, "plugins/<kind>".
std::string kind_problem(const std::string& kind) {
  if (kind.empty() || kind.size() > max_kind_length
      || !std::all_of(kind.begin(), kind.end(), is_kind_char))
    return "actor kind '" + kind
           + "' must be 1 to 64 characters of a-z, 0-9, '_' and '-'";
  return {};
}

std::string schema_problem(const std::string& tool, const std::string& text) {
  auto schema = nlohmann::json::parse(text, nullptr, false);
  if (schema.is_discarded() || !schema.is_object())
    return "tool '" + tool + "': input_schema_json is not a JSON object";
  return {};
}

} // namespace

std::string exposed_name(const std::string& plugin, const std::string& tool) {
  return plugin + std::string{mcp::tool_separator} + tool;
}

checking_registrar::checking_registrar(type_check known_type)
  : known_type_(std::move(known_type)) {}

void checking_registrar::fail(std::string text) {
  if (!problem_)
    problem_ = std::move(text);
}

void checking_registrar::describe(std::string name, std::string version,
                                  std::string description) {
  if (described_)
    return fail("describe() was called twice");
  described_ = true;
  if (auto p = tool_server_name_problem(name); !p.empty())
    return fail("plugin name " + p);
  contents_.name = std::move(name);
  contents_.version = std::move(version);
  contents_.description = std::move(description);
}

void checking_registrar::add_tool(plugin::tool_spec spec) {
  if (!mcp::is_valid_tool_name(spec.name))
    return fail("tool name '" + spec.name
                + "' must be 1 to 64 characters of a-z, A-Z, 0-9, '_' and "
                  "'-'");
  auto same = [&](const plugin::tool_spec& x) {
    return x.name == spec.name;
  };
  if (std::any_of(contents_.tools.begin(), contents_.tools.end(), same))
    return fail("tool '" + spec.name + "' is registered twice");
  if (auto p = schema_problem(spec.name, spec.input_schema_json); !p.empty())
    return fail(p);
  if (!spec.handler)
    return fail("tool '" + spec.name + "' has no handler");
  contents_.tools.push_back(std::move(spec));
}

void checking_registrar::add_actor_kind(plugin::actor_kind_spec spec) {
  if (auto p = kind_problem(spec.kind); !p.empty())
    return fail(p);
  auto same = [&](const auto& x) {
    return x.kind == spec.kind;
  };
  if (std::any_of(contents_.actor_kinds.begin(), contents_.actor_kinds.end(),
                  same))
    return fail("actor kind '" + spec.kind + "' is registered twice");
  if (spec.handles.empty())
    return fail("actor kind '" + spec.kind + "' declares no message type");
  for (const auto& type : spec.handles)
    if (!known_type_ || !known_type_(type))
      return fail("actor kind '" + spec.kind + "': '" + type
                  + "' is no bsm.v1 message type this node knows");
  if (!spec.handler)
    return fail("actor kind '" + spec.kind + "' has no handler");
  contents_.actor_kinds.push_back(std::move(spec));
}

void checking_registrar::check_tool_names() {
  for (const auto& tool : contents_.tools)
    if (exposed_name(contents_.name, tool.name).size()
        > mcp::max_tool_name_length)
      return fail("tool '" + exposed_name(contents_.name, tool.name)
                  + "' is longer than 64 characters");
}

caf::expected<plugin_contents> checking_registrar::finish() {
  if (!described_)
    fail("the registration did not call describe() (every plugin names "
         "itself)");
  else
    check_tool_names();
  if (problem_)
    return make_error(errc::invalid_argument, *problem_);
  return std::move(contents_);
}

} // namespace bsm::plugins
