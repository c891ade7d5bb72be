#include "agents/agent_definition.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <map>

#include "runtime/cluster/node_name.hpp"
#include "runtime/config/yaml_reader.hpp"
#include "runtime/error.hpp"

namespace bsm::agents {

namespace fs = std::filesystem;
using detail::quote;
using detail::yaml_field;
using detail::yaml_source;

namespace {

bool is_agent_name(std::string_view x) {
  if (x.empty() || x.size() > 64)
    return false;
  return std::all_of(x.begin(), x.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
           || c == '-';
  });
}

// An OpenAI function name, or one ending in '*' to allow a whole prefix.
bool is_tool_pattern(std::string_view x) {
  if (x.empty() || x.size() > 64)
    return false;
  auto star = x.find('*');
  if (star != std::string_view::npos && star != x.size() - 1)
    return false;
  return std::all_of(x.begin(), x.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'
           || c == '*';
  });
}

// What the readers of one definition share.
struct reading {
  const yaml_source& source;
  fs::path folder; // the file's, for relative knowledge paths
  v1::AgentDefinition& def;
};

// Reads the value of one key; `in` knows the dotted key and the line.
using field_reader = std::function<caf::error(
  const yaml_field& in, const YAML::Node& value, reading& r)>;

struct map_schema {
  std::vector<std::pair<std::string_view, field_reader>> fields;
};

caf::error read_map(reading& r, const std::string& prefix,
                    const YAML::Node& map, const map_schema& schema) {
  if (map.IsNull())
    return {};
  for (const auto& entry : map) {
    auto name = entry.first.Scalar();
    auto key = prefix.empty() ? name : prefix + "." + name;
    auto field = std::find_if(schema.fields.begin(), schema.fields.end(),
                              [&](const auto& f) { return f.first == name; });
    if (field == schema.fields.end()) {
      auto known = detail::join(schema.fields, ", ", [](const auto& f) {
        return std::string{f.first};
      });
      return detail::located_error(r.source.at(entry.first.Mark()),
                                   "unknown key " + quote(key)
                                     + " (known: " + known + ")");
    }
    yaml_field in{r.source, key, entry.second, entry.first.Mark()};
    if (auto err = field->second(in, entry.second, r))
      return err;
  }
  return {};
}

// A key whose value is a map read by `schema`.
field_reader nested(const map_schema& schema, const std::string& prefix) {
  return [&schema, prefix](const yaml_field& in, const YAML::Node& value,
                           reading& r) -> caf::error {
    if (!value.IsMap() && !value.IsNull())
      return in.expected("a map");
    return read_map(r, prefix, value, schema);
  };
}

field_reader unsigned_field(std::function<void(reading&, uint32_t)> set,
                            int64_t min, int64_t max) {
  return [set, min, max](const yaml_field& in, const YAML::Node&,
                         reading& r) -> caf::error {
    uint32_t x = 0;
    if (auto err = in.integer(x, min, max))
      return err;
    set(r, x);
    return {};
  };
}

bool is_delegate(std::string_view x) {
  return x == "*" || is_agent_name(x);
}

using string_list = google::protobuf::RepeatedPtrField<std::string>;

// A key whose value is a list of names, each one `valid` (else the error
// says what was `expected`), read into the list `field` gives.
field_reader
name_list(bool (*valid)(std::string_view), std::string expected,
          std::function<string_list*(v1::AgentDefinition&)> field) {
  return [valid, expected, field](const yaml_field& in, const YAML::Node&,
                                  reading& r) -> caf::error {
    std::vector<std::string> names;
    auto parse = [&](std::string_view x, std::string& out) -> std::string {
      if (!valid(x))
        return "expected " + expected + ", got " + quote(x);
      out = std::string{x};
      return {};
    };
    if (auto err = in.sequence(names, parse))
      return err;
    auto* list = field(r.def);
    list->Clear();
    for (auto& x : names)
      *list->Add() = std::move(x);
    return {};
  };
}

const map_schema& model_schema() {
  static const map_schema result{{
    {"provider",
     [](const yaml_field& in, const YAML::Node&, reading& r) -> caf::error {
       static const std::vector<std::pair<std::string_view, std::string>> names{
         {"local", "local"}, {"openai", "openai"}};
       std::string x;
       if (auto err = in.one_of(x, names))
         return err;
       r.def.mutable_model()->set_provider(x);
       return {};
     }},
    {"name",
     [](const yaml_field& in, const YAML::Node&, reading& r) {
       return in.text(*r.def.mutable_model()->mutable_name());
     }},
    {"temperature",
     [](const yaml_field& in, const YAML::Node& value,
        reading& r) -> caf::error {
       try {
         auto x = value.as<double>();
         if (x < 0 || x > 2)
           return in.fail("expected a number in 0..2, got "
                          + detail::describe(value));
         r.def.mutable_model()->set_temperature(x);
         return {};
       } catch (const YAML::Exception&) {
         return in.expected("a number in 0..2");
       }
     }},
    {"max_tokens",
     unsigned_field(
       [](reading& r, uint32_t x) { r.def.mutable_model()->set_max_tokens(x); },
       0, 1'000'000)},
    {"base_url",
     [](const yaml_field& in, const YAML::Node&, reading& r) {
       return in.text(*r.def.mutable_model()->mutable_base_url());
     }},
    {"api_key_env",
     [](const yaml_field& in, const YAML::Node&, reading& r) {
       return in.text(*r.def.mutable_model()->mutable_api_key_env());
     }},
  }};
  return result;
}

const map_schema& knowledge_schema() {
  static const map_schema result{{
    {"paths",
     [](const yaml_field& in, const YAML::Node& value,
        reading& r) -> caf::error {
       std::vector<std::string> paths;
       if (auto err = in.sequence(paths, detail::assign<std::string>))
         return err;
       r.def.clear_knowledge();
       int i = 0;
       for (const auto& x : paths) {
         auto path = fs::path{x}.is_absolute() ? fs::path{x} : r.folder / x;
         std::error_code ec;
         if (!fs::is_directory(path, ec)) {
           yaml_field element{r.source, "knowledge.paths",
                              value[static_cast<size_t>(i)],
                              value[static_cast<size_t>(i)].Mark()};
           return element.fail("knowledge folder "
                               + quote(path.lexically_normal().string())
                               + " does not exist");
         }
         r.def.add_knowledge(fs::weakly_canonical(path).string());
         ++i;
       }
       return {};
     }},
    {"top_k",
     unsigned_field(
       [](reading& r, uint32_t x) { r.def.set_knowledge_top_k(x); }, 0, 50)},
  }};
  return result;
}

const map_schema& memory_schema() {
  static const map_schema result{{
    {"history_turns",
     unsigned_field(
       [](reading& r, uint32_t x) { r.def.set_memory_history_turns(x); }, 0,
       1000)},
  }};
  return result;
}

const map_schema& limits_schema() {
  static const map_schema result{{
    {"max_steps",
     unsigned_field([](reading& r, uint32_t x) { r.def.set_max_steps(x); }, 1,
                    100)},
    {"max_tool_calls",
     unsigned_field([](reading& r, uint32_t x) { r.def.set_max_tool_calls(x); },
                    0, 1000)},
    {"timeout",
     [](const yaml_field& in, const YAML::Node&, reading& r) -> caf::error {
       std::chrono::milliseconds x{0};
       if (auto err = in.duration(x))
         return err;
       if (x < std::chrono::milliseconds{100} || x > std::chrono::hours{1})
         return in.fail("expected a duration in 100ms..1h, got "
                        + detail::render_duration(x));
       r.def.set_timeout_ms(static_cast<uint32_t>(x.count()));
       return {};
     }},
    {"token_budget",
     [](const yaml_field& in, const YAML::Node&, reading& r) -> caf::error {
       int64_t x = 0;
       if (auto err = in.integer64(x, 0, int64_t{1} << 40))
         return err;
       r.def.set_token_budget(static_cast<uint64_t>(x));
       return {};
     }},
  }};
  return result;
}

const map_schema& placement_schema() {
  static const map_schema result{{
    {"node",
     [](const yaml_field& in, const YAML::Node&, reading& r) -> caf::error {
       std::string x;
       if (auto err = in.text(x))
         return err;
       if (auto problem = node_name_problem(x); !problem.empty())
         return in.fail(problem);
       r.def.set_placement_node(x);
       return {};
     }},
    {"stateless",
     [](const yaml_field& in, const YAML::Node&, reading& r) -> caf::error {
       bool x = false;
       if (auto err = in.boolean(x))
         return err;
       r.def.set_stateless(x);
       return {};
     }},
  }};
  return result;
}

const map_schema& definition_schema() {
  static const map_schema result{{
    {"name",
     [](const yaml_field& in, const YAML::Node&, reading& r) -> caf::error {
       std::string x;
       if (auto err = in.text(x))
         return err;
       if (!is_agent_name(x))
         return in.fail("expected 1..64 characters of a-z, 0-9, '_' and "
                        "'-', got "
                        + quote(x));
       r.def.set_name(x);
       return {};
     }},
    {"description",
     [](const yaml_field& in, const YAML::Node&, reading& r) {
       return in.text(*r.def.mutable_description());
     }},
    {"model", nested(model_schema(), "model")},
    {"system_prompt",
     [](const yaml_field& in, const YAML::Node&, reading& r) {
       return in.text(*r.def.mutable_system_prompt());
     }},
    {"tools",
     name_list(is_tool_pattern,
               "a tool name of [a-zA-Z0-9_-] (1..64, may end in '*')",
               [](v1::AgentDefinition& def) { return def.mutable_tools(); })},
    {"delegates",
     name_list(
       is_delegate, "an agent name of [a-z0-9_-] (1..64) or '*'",
       [](v1::AgentDefinition& def) { return def.mutable_delegates(); })},
    {"knowledge", nested(knowledge_schema(), "knowledge")},
    {"memory", nested(memory_schema(), "memory")},
    {"limits", nested(limits_schema(), "limits")},
    {"placement", nested(placement_schema(), "placement")},
  }};
  return result;
}

v1::AgentDefinition defaults() {
  v1::AgentDefinition def;
  def.mutable_model()->set_provider("local");
  def.mutable_model()->set_name("local");
  def.set_knowledge_top_k(4);
  def.set_memory_history_turns(20);
  def.set_max_steps(6);
  def.set_max_tool_calls(12);
  def.set_timeout_ms(60'000);
  return def;
}

caf::error file_error(const fs::path& file, const std::string& what) {
  return make_error(errc::invalid_argument,
                    "agent definition " + quote(file.string()) + what);
}

bool is_definition_file(const fs::path& x) {
  auto ext = x.extension();
  return ext == ".yaml" || ext == ".yml";
}

} // namespace

caf::expected<v1::AgentDefinition> load_definition(const fs::path& file) {
  std::ifstream in{file};
  if (!in)
    return file_error(file, " cannot be opened");
  YAML::Node root;
  try {
    root = YAML::Load(in);
  } catch (const YAML::ParserException& ex) {
    return file_error(file, ": " + detail::syntax_error(ex));
  }
  yaml_source source{file.string()};
  if (!root.IsMap())
    return detail::located_error(source.at(root.Mark()),
                                 "expected a map of keys, got "
                                   + detail::describe(root));
  auto def = defaults();
  reading r{source, file.parent_path(), def};
  if (auto err = read_map(r, "", root, definition_schema()))
    return err;
  if (def.name().empty())
    return detail::located_error(source.at(root.Mark()),
                                 "key 'name' is missing");
  def.set_source_file(file.string());
  return def;
}

caf::expected<std::vector<v1::AgentDefinition>>
load_definitions(const std::vector<fs::path>& paths) {
  std::vector<fs::path> files;
  for (const auto& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<fs::path> in_folder;
      for (const auto& entry : fs::directory_iterator{path, ec})
        if (entry.is_regular_file() && is_definition_file(entry.path()))
          in_folder.push_back(entry.path());
      std::sort(in_folder.begin(), in_folder.end());
      files.insert(files.end(), in_folder.begin(), in_folder.end());
    } else if (fs::is_regular_file(path, ec)) {
      files.push_back(path);
    } else {
      return make_error(errc::invalid_argument,
                        "agents.paths: " + quote(path.string())
                          + " does not exist");
    }
  }
  std::vector<v1::AgentDefinition> result;
  std::map<std::string, std::string> seen; // name -> file
  for (const auto& file : files) {
    auto def = load_definition(file);
    if (!def)
      return def.error();
    auto [i, added] = seen.emplace(def->name(), file.string());
    if (!added)
      return file_error(file, ": agent " + quote(def->name())
                                + " is already defined in " + quote(i->second));
    result.push_back(std::move(*def));
  }
  return result;
}

bool allows_tool(const v1::AgentDefinition& def, const std::string& tool) {
  for (const auto& x : def.tools()) {
    if (!x.empty() && x.back() == '*') {
      if (tool.compare(0, x.size() - 1, x, 0, x.size() - 1) == 0)
        return true;
    } else if (x == tool) {
      return true;
    }
  }
  return false;
}

bool allows_delegation(const v1::AgentDefinition& def,
                       const std::string& agent) {
  return std::any_of(def.delegates().begin(), def.delegates().end(),
                     [&](const auto& x) { return x == "*" || x == agent; });
}

std::string model_label(const v1::AgentDefinition& def) {
  return def.model().provider() + "/" + def.model().name();
}

} // namespace bsm::agents
