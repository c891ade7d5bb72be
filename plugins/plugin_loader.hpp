#pragma once

// Loads plugin libraries (plugin_api.hpp) with dlopen(RTLD_NOW |
// RTLD_LOCAL): a plain class, used by bsmd before its tree starts and by
// tests without an actor system.
//
// Each library is checked in this order, and the first failure is its
// reason: the file exists; dlopen takes it (a file that is no shared
// library, or one with unresolved symbols, fails here with the loader's
// text); it exports bsm_plugin_abi_version and bsm_plugin_register; the
// version is this node's BSM_PLUGIN_ABI_VERSION; the registration returns
// 0 without throwing; what it registered keeps the rules
// (plugin_contents.hpp); its name is free (not an MCP server, an A2A agent
// or an earlier plugin) and so are its actor kinds. A failed library is
// closed again; nothing it registered is kept.
//
// Thread-safety: a loader is used by one thread; the loaded plugins it
// returns are immutable and may be shared by any number of threads.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "plugins/plugin_contents.hpp"
#include "plugins/plugin_options.hpp"

namespace bsm::plugins {

/// One library that loaded: its contents and the handle that keeps its
/// code mapped. The handle is closed when the last reference goes, after
/// the contents (whose handlers are the library's code) are destroyed.
class loaded_plugin {
public:
  loaded_plugin(std::filesystem::path path, void* handle,
                plugin_contents contents);

  ~loaded_plugin();

  loaded_plugin(const loaded_plugin&) = delete;
  loaded_plugin& operator=(const loaded_plugin&) = delete;

  const std::filesystem::path& path() const noexcept {
    return path_;
  }

  const plugin_contents& contents() const noexcept {
    return contents_;
  }

  const std::string& name() const noexcept {
    return contents_.name;
  }

private:
  std::filesystem::path path_;
  void* handle_;
  plugin_contents contents_;
};

using plugin_ptr = std::shared_ptr<const loaded_plugin>;

/// A library that did not load.
struct plugin_failure {
  std::filesystem::path path;
  /// The plugin's own name if it got as far as naming itself, else empty.
  std::string name;
  std::string reason;
};

/// What loading `plugins.paths` gave.
struct plugin_set {
  /// In load order.
  std::vector<plugin_ptr> loaded;
  std::vector<plugin_failure> failed;
};

/// "plugin '<file>' (<name>): <reason>", the line bsmd logs or exits with.
std::string describe(const plugin_failure& x);

class plugin_loader {
public:
  /// `known_type` decides which message types actor kinds may declare;
  /// `taken_names` are tool server names already in use (MCP servers and
  /// remote A2A agents), which no plugin may take.
  plugin_loader(type_check known_type, std::vector<std::string> taken_names);

  /// Loads one library; the error's text is the reason (plugin_failure).
  /// Errors: not_found (no such file), invalid_argument (no plugin, wrong
  /// ABI, a broken registration), already_exists (a name in use),
  /// internal (the registration threw or returned non-zero).
  [[nodiscard]] caf::expected<plugin_ptr>
  load(const std::filesystem::path& file);

  /// Loads every library of `paths` (a folder: its "*.so" files in name
  /// order), each failure in `failed`.
  [[nodiscard]] plugin_set
  load_all(const std::vector<std::filesystem::path>& paths);

  /// The name of the plugin whose load failed last, if it named itself.
  const std::string& last_name() const noexcept {
    return last_name_;
  }

private:
  [[nodiscard]] caf::expected<plugin_contents> register_plugin(void* handle);

  [[nodiscard]] caf::error check_free(const plugin_contents& x) const;

  type_check known_type_;
  std::vector<std::string> taken_names_;
  /// Names and kinds of the plugins loaded so far.
  std::vector<std::string> plugin_names_;
  std::vector<std::string> kinds_;
  std::string last_name_;
};

/// Loads `opts.paths` with a loader of `known_type` and `taken_names`.
/// Errors: with `opts.required`, failed_precondition for the first library
/// that did not load, its text describe() of it; without, none (the
/// failures are in the set).
[[nodiscard]] caf::expected<plugin_set>
load_plugins(const plugins_options& opts, type_check known_type,
             std::vector<std::string> taken_names);

/// The libraries `paths` names, folders expanded; a missing path stays in
/// the list (its load reports it).
std::vector<std::filesystem::path>
plugin_files(const std::vector<std::filesystem::path>& paths);

} // namespace bsm::plugins
