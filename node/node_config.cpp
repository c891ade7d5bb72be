#include "node/node_config.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <system_error>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "runtime/cluster/node_name.hpp"
#include "runtime/config/config_fields.hpp"
#include "runtime/config/yaml_reader.hpp"
#include "runtime/error.hpp"

namespace bsm {

namespace {

using detail::located_error;
using detail::quote;
using detail::yaml_field;
using detail::yaml_source;

namespace fs = std::filesystem;

using config::maybe_problem;
using config::problem;

// -- the sections, bound to their place in node_config ------------------------

struct field_spec {
  std::string_view name;
  std::function<caf::error(const yaml_field&, node_config&)> read;
  std::function<std::string(const node_config&)> render;
  bool sequence = false;
  bool file_only = false;
};

struct section_spec {
  std::string_view name;
  std::vector<field_spec> fields;
  std::function<maybe_problem(const node_config&)> check;
};

/// A component's section, reading into and checking `cfg.*member`.
template <class Options>
section_spec bind(Options node_config::*member,
                  const config::section<Options>& section) {
  section_spec result{section.name, {}, {}};
  for (const auto& field : section.fields)
    result.fields.push_back(
      {field.name,
       [member, read = field.read](const yaml_field& in, node_config& cfg) {
         return read(in, cfg.*member);
       },
       [member, render = field.render](const node_config& cfg) {
         return render(cfg.*member);
       },
       field.sequence, field.file_only});
  result.check = [member, name = section.name, fields = section.fields,
                  check = section.check](const node_config& cfg) {
    const auto& x = cfg.*member;
    for (const auto& field : fields)
      if (field.limit)
        if (auto text = field.limit(x); !text.empty())
          return maybe_problem{problem{
            std::string{name} + "." + std::string{field.name}, text, {}}};
    return check ? check(x) : std::nullopt;
  };
  return result;
}

const config::section<node_options>& node_section() {
  static const config::section<node_options> result{
    "node",
    {config::text("name", &node_options::name),
     config::parsed("data_dir", &node_options::data_dir,
                    detail::assign<fs::path>)},
    [](const node_options& x) -> maybe_problem {
      if (auto p = config::check("node.name", node_name_problem(x.name)))
        return p;
      return config::check("node.data_dir",
                           x.data_dir.empty() ? "must not be empty" : "");
    }};
  return result;
}

// The single list of sections: reading, unknown-key errors, `--set` and
// validate() use it, in file order.
const std::vector<section_spec>& schema() {
  static const std::vector<section_spec> result{
    bind(&node_config::node, node_section()),
    bind(&node_config::http, http_section()),
    bind(&node_config::cluster, cluster_section()),
    bind(&node_config::store, store_section()),
    bind(&node_config::memory, memory_section()),
    bind(&node_config::mailbox, mailbox_section()),
    bind(&node_config::security, security_section()),
    bind(&node_config::logging, logging_section()),
    bind(&node_config::supervision, supervision_section()),
    bind(&node_config::shutdown, shutdown_section()),
    bind(&node_config::scheduler, scheduler_section()),
    bind(&node_config::agents, agents_section()),
    bind(&node_config::openai, openai_section()),
    bind(&node_config::tools, tools_section()),
    bind(&node_config::mcp, gateway::mcp_section()),
    bind(&node_config::a2a, a2a_section()),
    bind(&node_config::plugins, plugins_section()),
    bind(&node_config::tasks, tasks::tasks_section()),
    bind(&node_config::workflows, workflows::workflows_section()),
    bind(&node_config::budgets, budgets::budgets_section()),
  };
  return result;
}

// The listeners that other machines could reach without a check of who
// connects.
std::vector<std::pair<std::string, const listen_address*>>
exposed_listeners(const node_config& cfg) {
  // The HTTP bridge checks credentials once any is configured (mapped
  // client certificates count; http.tls_client_ca alone does not, as a
  // certificate then names nobody and its clients get only 401s); the
  // cluster port checks peer certificates with mutual TLS.
  bool http_guarded = has_configured_credentials(cfg.security);
  bool cluster_guarded = tls_enabled(cfg.cluster);
  std::vector<std::pair<std::string, const listen_address*>> result;
  if (!http_guarded && !config::is_loopback(cfg.http.listen))
    result.emplace_back("http.listen", &cfg.http.listen);
  if (!cluster_guarded && !config::is_loopback(cfg.cluster.listen))
    result.emplace_back("cluster.listen", &cfg.cluster.listen);
  return result;
}

// Secure by default: nothing beyond loopback without credentials, unless
// the operator says so.
maybe_problem check_exposure(const node_config& cfg) {
  if (cfg.security.allow_insecure)
    return std::nullopt;
  auto exposed = exposed_listeners(cfg);
  if (exposed.empty())
    return std::nullopt;
  const auto& [key, address] = exposed.front();
  return problem{key,
                 to_string(*address)
                   + " can be reached from other machines, and this node "
                     "has no credentials or TLS to check who connects; "
                     "listen on 127.0.0.1, or set "
                     "security.allow_insecure: true to serve anyone who "
                     "reaches it",
                 "security.allow_insecure"};
}

// Client certificates name principals only where the handshake asks for
// and verifies them.
maybe_problem check_client_certificates(const node_config& cfg) {
  if (cfg.security.client_certificates.empty()
      || !cfg.http.tls_client_ca.empty())
    return std::nullopt;
  return problem{"security.client_certificates",
                 "needs http.tls_client_ca (the CA that signs the client "
                 "certificates) and http.tls_certificate",
                 "http.tls_client_ca"};
}

// An outbox batch is one cluster frame: the larger of its byte budget and
// one envelope, with room for framing, must pass the peer's frame bound
// (peers share a config in practice; this node checks its own).
maybe_problem check_link_frames(const node_config& cfg) {
  constexpr uint64_t framing = 1ull << 20;
  auto largest
    = std::max(cfg.mailbox.link_batch_bytes, cfg.mailbox.max_envelope_bytes);
  if (largest + framing <= cfg.cluster.max_frame_bytes)
    return std::nullopt;
  return problem{"mailbox.link_batch_bytes",
                 "an outbox batch of up to " + std::to_string(largest)
                   + " bytes (the larger of mailbox.link_batch_bytes and "
                     "mailbox.max_envelope_bytes) plus 1 MiB of framing "
                     "must fit cluster.max_frame_bytes ("
                   + std::to_string(cfg.cluster.max_frame_bytes) + ")",
                 "cluster.max_frame_bytes"};
}

// Remote A2A agents and MCP servers share the tool host's server names
// ("<name>__<tool>").
maybe_problem check_tool_server_names(const node_config& cfg) {
  for (size_t i = 0; i < cfg.a2a.agents.size(); ++i)
    for (const auto& server : cfg.tools.mcp_servers)
      if (server.name == cfg.a2a.agents[i].name)
        return problem{"a2a.agents[" + std::to_string(i) + "].name",
                       "'" + server.name
                         + "' is also the name of an MCP server "
                           "(tools.mcp_servers); tool names would clash",
                       "tools.mcp_servers"};
  return std::nullopt;
}

maybe_problem first_problem(const node_config& cfg) {
  for (const auto& section : schema())
    if (auto p = section.check(cfg))
      return p;
  if (auto p = check_client_certificates(cfg))
    return p;
  if (auto p = check_link_frames(cfg))
    return p;
  if (auto p = check_tool_server_names(cfg))
    return p;
  return check_exposure(cfg);
}

const section_spec* find_section(std::string_view name) {
  const auto& xs = schema();
  auto i = std::find_if(xs.begin(), xs.end(),
                        [name](const auto& x) { return x.name == name; });
  return i != xs.end() ? &*i : nullptr;
}

const field_spec* find_field(const section_spec& section,
                             std::string_view name) {
  const auto& xs = section.fields;
  auto i = std::find_if(xs.begin(), xs.end(),
                        [name](const auto& x) { return x.name == name; });
  return i != xs.end() ? &*i : nullptr;
}

constexpr auto name_of = [](const auto& x) {
  return std::string{x.name};
};

std::string key_text(const YAML::Node& key) {
  return key.IsScalar() ? key.Scalar() : "<" + detail::describe(key) + ">";
}

std::string unknown_section(std::string_view name) {
  return "unknown section " + quote(name)
         + " (known sections: " + detail::join(schema(), ", ", name_of) + ")";
}

// Keys that no longer exist, each with what replaced it: setting one is a
// config error that says so rather than "unknown key".
constexpr std::pair<std::string_view, std::string_view> retired_keys[] = {
  // A cache sized apart from the budget would count memory twice.
  {"store.block_cache_bytes",
   "store.memory_budget (one budget sizes the block cache and the "
   "memtables together)"},
};

std::string unknown_key(const section_spec& section, std::string_view key) {
  for (const auto& [name, replacement] : retired_keys)
    if (name == key)
      return "key " + quote(key) + " was replaced by "
             + std::string{replacement};
  return "unknown key " + quote(key)
         + " (known keys: " + detail::join(section.fields, ", ", name_of) + ")";
}

// -- overrides ----------------------------------------------------------------

std::string override_arg(const config_override& x) {
  return "--set " + x.key + "=" + x.value;
}

/// Where in the tree an override goes.
struct override_target {
  std::string section;
  std::string field;
  const field_spec* spec;
};

// "tools.mcp_servers" and "tools.mcp_servers[0].command" alike.
std::string file_only_problem(const section_spec& section,
                              std::string_view field_name) {
  for (const auto& field : section.fields) {
    if (!field.file_only
        || field_name.substr(0, field.name.size()) != field.name)
      continue;
    auto rest = field_name.substr(field.name.size());
    if (rest.empty() || rest.front() == '[' || rest.front() == '.')
      return "key "
             + quote(std::string{section.name} + "." + std::string{field.name})
             + " takes a list of maps and can only be set in the config file";
  }
  return {};
}

caf::expected<override_target> resolve(const std::string& key) {
  auto dot = std::min(key.find('.'), key.size());
  auto section_name = key.substr(0, dot);
  const auto* section = find_section(section_name);
  if (section == nullptr)
    return located_error("--set " + key, unknown_section(section_name));
  auto field_name = key.substr(std::min(dot + 1, key.size()));
  if (auto problem = file_only_problem(*section, field_name); !problem.empty())
    return located_error("--set " + key, problem);
  const auto* field = find_field(*section, field_name);
  if (field == nullptr)
    return located_error("--set " + key, unknown_key(*section, key));
  return override_target{section_name, field_name, field};
}

// A key that takes one value gets text that is not one YAML value verbatim,
// so "--set http.listen=[::1]:8080" stays an address instead of a list.
caf::expected<YAML::Node> override_value(const config_override& x,
                                         bool sequence) {
  try {
    auto node = YAML::Load(x.value);
    if (sequence || node.IsScalar())
      return node;
  } catch (const YAML::ParserException& ex) {
    if (sequence)
      return located_error(override_arg(x), detail::syntax_error(ex));
  }
  return YAML::Node{x.value};
}

// -- loading ------------------------------------------------------------------

caf::error file_error(const fs::path& file, const std::string& what) {
  return make_error(errc::invalid_argument,
                    "config file " + quote(file.string()) + what);
}

caf::expected<YAML::Node> parse_document(const fs::path& file,
                                         std::istream& in) {
  try {
    auto docs = YAML::LoadAll(in);
    if (docs.size() > 1)
      return file_error(file, ": expected one YAML document, found "
                                + std::to_string(docs.size()));
    return docs.empty() ? YAML::Node{} : docs.front();
  } catch (const YAML::ParserException& ex) {
    return file_error(file, ": " + detail::syntax_error(ex));
  }
}

// An empty path means no file: the defaults plus the overrides.
caf::expected<YAML::Node> read_document(const fs::path& file) {
  if (file.empty())
    return YAML::Node{};
  std::error_code ec;
  auto status = fs::status(file, ec);
  if (status.type() == fs::file_type::not_found)
    return file_error(file, " not found");
  if (ec)
    return file_error(file, " cannot be read: " + ec.message());
  if (fs::is_directory(status))
    return file_error(file, " is a directory");
  std::ifstream in{file};
  if (!in)
    return file_error(file, " cannot be opened");
  return parse_document(file, in);
}

/// Applies overrides to the YAML tree of one file and reads it into a
/// `node_config`, remembering where each value came from.
class config_reader {
public:
  config_reader(const fs::path& file, YAML::Node root)
    : source_(file.string()), root_(std::move(root)) {
    // nop
  }

  /// Checks the shape of the root and applies `overrides` to the tree.
  caf::error prepare(const std::vector<config_override>& overrides);

  /// Reads the tree into `cfg`; call after `prepare`.
  caf::error read(node_config& cfg);

  /// Renders `x` at the place that set its key.
  [[nodiscard]] caf::error locate(const problem& x) const;

private:
  std::string where_set(const problem& x) const;

  caf::error check_root() const;

  caf::error apply(const config_override& x);

  caf::error check_section(const std::string& name) const;

  caf::error expect_map(const YAML::Node& key, const YAML::Node& value) const;

  caf::error check_duplicates(const YAML::Node& map,
                              const std::string& prefix) const;

  caf::expected<const section_spec*> section_of(const YAML::Node& key,
                                                const YAML::Node& value) const;

  caf::error read_section(const YAML::Node& key, const YAML::Node& value,
                          node_config& cfg);

  caf::error read_field(const section_spec& section, const YAML::Node& key,
                        const YAML::Node& value, node_config& cfg);

  yaml_source source_;
  YAML::Node root_;
  /// Where each key that was read came from.
  std::map<std::string, std::string> seen_;
};

caf::error
config_reader::prepare(const std::vector<config_override>& overrides) {
  if (auto err = check_root())
    return err;
  for (const auto& x : overrides)
    if (auto err = apply(x))
      return err;
  return {};
}

caf::error config_reader::read(node_config& cfg) {
  if (auto err = check_duplicates(root_, ""))
    return err;
  for (const auto& entry : root_)
    if (auto err = read_section(entry.first, entry.second, cfg))
      return err;
  return {};
}

caf::error config_reader::locate(const problem& x) const {
  return located_error(where_set(x), "key " + quote(x.key) + ": " + x.text);
}

std::string config_reader::where_set(const problem& x) const {
  for (const auto* key : {&x.key, &x.related})
    if (auto i = seen_.find(*key); i != seen_.end())
      return i->second;
  // Both keys kept their defaults: nothing more precise to point at.
  return source_.file().empty() ? std::string{"config"} : source_.file();
}

caf::error config_reader::check_root() const {
  if (root_.IsMap() || root_.IsNull())
    return {};
  return located_error(source_.at(root_.Mark()),
                       "expected a map of sections, got "
                         + detail::describe(root_));
}

caf::error config_reader::apply(const config_override& x) {
  auto target = resolve(x.key);
  if (!target)
    return target.error();
  auto value = override_value(x, target->spec->sequence);
  if (!value)
    return value.error();
  if (auto err = check_section(target->section))
    return err;
  root_[target->section][target->field] = *value;
  source_.set_override(x.key, override_arg(x));
  return {};
}

// Overrides go into the file's section, so it must be a map already.
caf::error config_reader::check_section(const std::string& name) const {
  for (const auto& entry : root_)
    if (key_text(entry.first) == name)
      return expect_map(entry.first, entry.second);
  return {};
}

caf::error config_reader::expect_map(const YAML::Node& key,
                                     const YAML::Node& value) const {
  if (value.IsMap() || value.IsNull())
    return {};
  return located_error(source_.at(key.Mark()), "section " + quote(key_text(key))
                                                 + ": expected a map, got "
                                                 + detail::describe(value));
}

// yaml-cpp keeps repeated keys, and all but the first would go unread.
caf::error config_reader::check_duplicates(const YAML::Node& map,
                                           const std::string& prefix) const {
  std::set<std::string> keys;
  for (const auto& entry : map) {
    auto key = prefix + key_text(entry.first);
    if (!keys.insert(key).second)
      return located_error(source_.at(entry.first.Mark()),
                           "duplicate key " + quote(key));
  }
  return {};
}

caf::expected<const section_spec*>
config_reader::section_of(const YAML::Node& key,
                          const YAML::Node& value) const {
  const auto* section = find_section(key_text(key));
  if (section == nullptr)
    return located_error(source_.at(key.Mark()),
                         unknown_section(key_text(key)));
  if (auto err = expect_map(key, value))
    return err;
  if (auto err = check_duplicates(value, key_text(key) + "."))
    return err;
  return section;
}

caf::error config_reader::read_section(const YAML::Node& key,
                                       const YAML::Node& value,
                                       node_config& cfg) {
  auto section = section_of(key, value);
  if (!section)
    return section.error();
  for (const auto& entry : value)
    if (auto err = read_field(**section, entry.first, entry.second, cfg))
      return err;
  return {};
}

caf::error config_reader::read_field(const section_spec& section,
                                     const YAML::Node& key,
                                     const YAML::Node& value,
                                     node_config& cfg) {
  auto dotted = std::string{section.name} + "." + key_text(key);
  const auto* field = find_field(section, key_text(key));
  if (field == nullptr)
    return located_error(source_.at(key.Mark()), unknown_key(section, dotted));
  yaml_field in{source_, dotted, value, key.Mark()};
  seen_[dotted] = in.where();
  return field->read(in, cfg);
}

caf::expected<node_config> load(const fs::path& file,
                                const std::vector<config_override>& overrides) {
  auto root = read_document(file);
  if (!root)
    return root.error();
  config_reader reader{file, std::move(*root)};
  if (auto err = reader.prepare(overrides))
    return err;
  node_config cfg;
  cfg.source = file;
  if (auto err = reader.read(cfg))
    return err;
  if (auto p = first_problem(cfg))
    return reader.locate(*p);
  return cfg;
}

caf::error override_error(const std::string& arg, const std::string& what) {
  return make_error(errc::invalid_argument, "--set " + quote(arg) + ": " + what
                                              + ", expected section.key=value");
}

} // namespace

caf::expected<config_override> parse_override(const std::string& arg) {
  auto eq = arg.find('=');
  if (eq == std::string::npos)
    return override_error(arg, "missing '='");
  auto key = arg.substr(0, eq);
  if (key.empty())
    return override_error(arg, "empty key");
  auto dot = key.find('.');
  if (dot == 0 || dot == std::string::npos || dot + 1 == key.size())
    return override_error(arg, "no section in key " + quote(key));
  return config_override{std::move(key), arg.substr(eq + 1)};
}

caf::expected<node_config>
load_node_config(const fs::path& file,
                 const std::vector<config_override>& overrides) {
  // yaml-cpp reports misuse by exceptions; none may cross this boundary.
  try {
    return load(file, overrides);
  } catch (const std::exception& ex) {
    return file_error(file, std::string{": "} + ex.what());
  }
}

std::vector<std::string> config_keys() {
  std::vector<std::string> result;
  for (const auto& section : schema())
    for (const auto& field : section.fields)
      result.push_back(std::string{section.name} + "."
                       + std::string{field.name});
  return result;
}

std::vector<std::pair<std::string, std::string>>
config_values(const node_config& cfg) {
  std::vector<std::pair<std::string, std::string>> result;
  for (const auto& section : schema())
    for (const auto& field : section.fields)
      result.emplace_back(std::string{section.name} + "."
                            + std::string{field.name},
                          field.render(cfg));
  return result;
}

std::vector<std::string> tool_server_names(const node_config& cfg) {
  std::vector<std::string> result;
  for (const auto& server : cfg.tools.mcp_servers)
    result.push_back(server.name);
  for (const auto& agent : cfg.a2a.agents)
    result.push_back(agent.name);
  return result;
}

std::string insecure_warning(const node_config& cfg) {
  if (!cfg.security.allow_insecure)
    return {};
  std::string listeners;
  for (const auto& [key, address] : exposed_listeners(cfg))
    listeners
      += (listeners.empty() ? "" : ", ") + key + " " + to_string(*address);
  if (listeners.empty())
    return {};
  return "security.allow_insecure is set: " + listeners
         + " accept anyone who can reach them, without credentials";
}

caf::error validate(const node_config& cfg) {
  if (auto p = first_problem(cfg))
    return make_error(errc::invalid_argument,
                      "key " + quote(p->key) + ": " + p->text);
  return {};
}

} // namespace bsm
