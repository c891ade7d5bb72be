#include "agents/tools/builtin_tools.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>

#include "runtime/error.hpp"

namespace bsm::agents {

namespace {

v1::ToolSpec spec(const char* name, const char* description,
                  nlohmann::json parameters) {
  v1::ToolSpec result;
  result.set_name(name);
  result.set_description(description);
  result.set_parameters_json(parameters.dump());
  return result;
}

nlohmann::json object_schema(nlohmann::json properties,
                             std::vector<std::string> required) {
  return {{"type", "object"},
          {"properties", std::move(properties)},
          {"required", std::move(required)},
          {"additionalProperties", false}};
}

nlohmann::json string_property(const char* description) {
  return {{"type", "string"}, {"description", description}};
}

} // namespace

const std::vector<v1::ToolSpec>& builtin_tool_specs() {
  static const std::vector<v1::ToolSpec> result{
    spec(knowledge_search_tool,
         "Searches this agent's knowledge base and returns the best "
         "matching passages with their sources.",
         object_schema({{"query", string_property("What to look for.")},
                        {"top_k",
                         {{"type", "integer"},
                          {"minimum", 1},
                          {"maximum", 20},
                          {"description", "How many passages (default 4)."}}}},
                       {"query"})),
    spec(memory_get_tool,
         "Reads a value this agent stored earlier under a key.",
         object_schema({{"key", string_property("The key.")}}, {"key"})),
    spec(memory_put_tool,
         "Stores a value under a key in this agent's memory (kept across "
         "restarts).",
         object_schema({{"key", string_property("The key.")},
                        {"value", string_property("The value to store.")}},
                       {"key", "value"})),
    spec(ask_agent_tool,
         "Asks another agent of this node and returns its answer.",
         object_schema({{"agent", string_property("The agent's name.")},
                        {"input", string_property("The question or task.")}},
                       {"agent", "input"})),
    spec(current_time_tool, "Returns the current date and time in UTC.",
         object_schema(nlohmann::json::object(), {})),
  };
  return result;
}

bool is_builtin_tool(const std::string& name) {
  const auto& specs = builtin_tool_specs();
  return std::any_of(specs.begin(), specs.end(),
                     [&](const auto& x) { return x.name() == name; });
}

caf::expected<nlohmann::json> parse_arguments(const std::string& text) {
  if (text.empty())
    return nlohmann::json::object();
  auto args = nlohmann::json::parse(text, nullptr, false);
  if (args.is_discarded())
    return make_error(errc::invalid_argument,
                      "the arguments are not valid JSON");
  if (!args.is_object())
    return make_error(errc::invalid_argument,
                      "the arguments must be a JSON object");
  return args;
}

caf::expected<std::string> string_argument(const nlohmann::json& args,
                                           const char* key) {
  auto i = args.find(key);
  if (i == args.end() || !i->is_string() || i->get<std::string>().empty())
    return make_error(errc::invalid_argument,
                      std::string{"argument '"} + key
                        + "' must be a non-empty string");
  return i->get<std::string>();
}

v1::ToolCallResponse tool_result(std::string content, bool is_error) {
  v1::ToolCallResponse result;
  result.set_content(std::move(content));
  result.set_is_error(is_error);
  return result;
}

v1::ToolCallResponse current_time_result() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char iso[32];
  std::strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &utc);
  char weekday[16];
  std::strftime(weekday, sizeof(weekday), "%A", &utc);
  nlohmann::json out{
    {"utc", iso}, {"unix", static_cast<int64_t>(secs)}, {"weekday", weekday}};
  return tool_result(out.dump());
}

v1::ToolCallResponse
knowledge_search_result(const knowledge::knowledge_index& index,
                        const nlohmann::json& args, size_t default_top_k) {
  auto query = string_argument(args, "query");
  if (!query)
    return tool_result(render(query.error()), true);
  auto top_k = default_top_k == 0 ? size_t{4} : default_top_k;
  if (auto i = args.find("top_k"); i != args.end()) {
    if (!i->is_number_integer() || i->get<int64_t>() < 1
        || i->get<int64_t>() > 20)
      return tool_result("argument 'top_k' must be an integer in 1..20", true);
    top_k = i->get<size_t>();
  }
  auto passages = nlohmann::json::array();
  for (const auto& x : index.search(*query, top_k))
    passages.push_back({{"source", x.source()},
                        {"title", x.title()},
                        {"text", x.text()},
                        {"score", x.score()}});
  return tool_result(nlohmann::json{{"passages", std::move(passages)}}.dump());
}

std::string delegation_problem(const std::vector<std::string>& chain,
                               const std::string& from,
                               const std::string& target) {
  if (target == from
      || std::find(chain.begin(), chain.end(), target) != chain.end())
    return "delegation loop: '" + target + "' is already working on this turn";
  if (chain.size() + 1 >= static_cast<size_t>(max_delegation_depth))
    return "delegation too deep: at most "
           + std::to_string(max_delegation_depth) + " agents per turn";
  return {};
}

} // namespace bsm::agents
