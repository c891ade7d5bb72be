#pragma once

// What one plugin registered, checked: the node's side of
// bsm::plugin::registrar (plugin_api.hpp). The registrar keeps the first
// broken rule and `finish` returns it, so a plugin registers all or
// nothing.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "plugins/plugin_api.hpp"

namespace bsm::plugins {

/// A checked registration.
struct plugin_contents {
  std::string name;
  std::string version;
  std::string description;
  std::vector<plugin::tool_spec> tools;
  std::vector<plugin::actor_kind_spec> actor_kinds;
};

/// True if `type_name` is a bsm.v1 message the node knows.
using type_check = std::function<bool(const std::string& type_name)>;

/// The registrar a plugin's entry point gets. Not thread-safe; one per
/// registration.
class checking_registrar final : public plugin::registrar {
public:
  /// `known_type` decides which types an actor kind may declare.
  explicit checking_registrar(type_check known_type);

  void describe(std::string name, std::string version,
                std::string description) override;

  void add_tool(plugin::tool_spec spec) override;

  void add_actor_kind(plugin::actor_kind_spec spec) override;

  /// The contents, or invalid_argument with the first broken rule: no
  /// describe() (or two), a bad plugin, tool or kind name, a duplicate, a
  /// tool name over 64 characters with its prefix, a schema that is no
  /// JSON object, a missing handler, a kind declaring no type or one the
  /// node does not know. Call once.
  [[nodiscard]] caf::expected<plugin_contents> finish();

  /// The name describe() gave, if it was valid; else empty.
  const std::string& name() const noexcept {
    return contents_.name;
  }

private:
  void fail(std::string text);

  /// Checks what needs the plugin's name (tool names' length).
  void check_tool_names();

  type_check known_type_;
  plugin_contents contents_;
  bool described_ = false;
  std::optional<std::string> problem_;
};

/// The name a model sees for `tool` of `plugin`: "<plugin>__<tool>".
std::string exposed_name(const std::string& plugin, const std::string& tool);

} // namespace bsm::plugins
