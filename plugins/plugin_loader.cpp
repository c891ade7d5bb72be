#include "plugins/plugin_loader.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <system_error>
#include <utility>

#include "runtime/error.hpp"

namespace bsm::plugins {

namespace fs = std::filesystem;

namespace {

using abi_version_fn = uint32_t (*)();
using register_fn = int (*)(bsm_plugin_host*);

// The context text of one of our errors, without the code.
std::string reason_of(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.size() > 0 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return render(err);
}

std::string dl_error() {
  const char* text = dlerror();
  return text != nullptr ? text : "unknown error";
}

// Closes a handle on every path that does not keep it.
struct handle_guard {
  void* handle;
  ~handle_guard() {
    if (handle != nullptr)
      dlclose(handle);
  }
  void* release() {
    return std::exchange(handle, nullptr);
  }
};

template <class Fn>
Fn symbol(void* handle, const char* name) {
  // POSIX guarantees that dlsym's data pointer holds a function pointer;
  // copying the bits avoids ISO C++'s object-to-function pointer cast.
  void* address = dlsym(handle, name);
  Fn result = nullptr;
  static_assert(sizeof(result) == sizeof(address));
  std::memcpy(&result, &address, sizeof(result));
  return result;
}

} // namespace

// -- loaded_plugin ------------------------------------------------------------

loaded_plugin::loaded_plugin(fs::path path, void* handle,
                             plugin_contents contents)
  : path_(std::move(path)), handle_(handle), contents_(std::move(contents)) {}

loaded_plugin::~loaded_plugin() {
  // The handlers are the library's code: destroy them while it is mapped.
  contents_ = plugin_contents{};
  if (handle_ != nullptr)
    dlclose(handle_);
}

std::string describe(const plugin_failure& x) {
  auto text = "plugin '" + x.path.string() + "'";
  if (!x.name.empty())
    text += " (" + x.name + ")";
  return text + ": " + x.reason;
}

// -- plugin_loader ------------------------------------------------------------

plugin_loader::plugin_loader(type_check known_type,
                             std::vector<std::string> taken_names)
  : known_type_(std::move(known_type)), taken_names_(std::move(taken_names)) {}

caf::expected<plugin_ptr> plugin_loader::load(const fs::path& file) {
  last_name_.clear();
  std::error_code ec;
  if (!fs::exists(file, ec))
    return make_error(errc::not_found, "not found");
  if (fs::is_directory(file, ec))
    return make_error(errc::invalid_argument, "is a directory");
  handle_guard guard{dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL)};
  if (guard.handle == nullptr)
    return make_error(errc::invalid_argument,
                      "cannot be loaded as a shared library: " + dl_error());
  auto contents = register_plugin(guard.handle);
  if (!contents)
    return contents.error();
  if (auto err = check_free(*contents))
    return err;
  plugin_names_.push_back(contents->name);
  for (const auto& kind : contents->actor_kinds)
    kinds_.push_back(kind.kind);
  return std::make_shared<const loaded_plugin>(file, guard.release(),
                                               std::move(*contents));
}

caf::expected<plugin_contents> plugin_loader::register_plugin(void* handle) {
  auto version = symbol<abi_version_fn>(handle, BSM_PLUGIN_ABI_SYMBOL);
  auto entry = symbol<register_fn>(handle, BSM_PLUGIN_REGISTER_SYMBOL);
  if (version == nullptr || entry == nullptr)
    return make_error(errc::invalid_argument,
                      "no BSM plugin: it does not export "
                        + std::string{version == nullptr
                                        ? BSM_PLUGIN_ABI_SYMBOL
                                        : BSM_PLUGIN_REGISTER_SYMBOL}
                        + " (define the entry points with BSM_PLUGIN)");
  if (auto v = version(); v != plugin::abi_version)
    return make_error(errc::invalid_argument,
                      "built for plugin ABI " + std::to_string(v)
                        + ", this node has ABI "
                        + std::to_string(plugin::abi_version)
                        + " (rebuild it against this plugin_api.hpp)");
  checking_registrar registrar{known_type_};
  bsm_plugin_host host{plugin::abi_version, &registrar};
  int rc = 0;
  std::string thrown;
  // Whatever the registration throws stays here: the node reports it.
  try {
    rc = entry(&host);
  } catch (const std::exception& ex) {
    thrown = std::string{"registration threw: "} + ex.what();
  } catch (...) {
    thrown = "registration threw something that is no std::exception";
  }
  // A failure names the plugin if it got as far as naming itself.
  last_name_ = registrar.name();
  if (!thrown.empty())
    return make_error(errc::internal, std::move(thrown));
  if (rc != 0)
    return make_error(errc::internal,
                      "registration returned " + std::to_string(rc));
  return registrar.finish();
}

caf::error plugin_loader::check_free(const plugin_contents& x) const {
  auto in = [](const std::vector<std::string>& xs, const std::string& y) {
    return std::find(xs.begin(), xs.end(), y) != xs.end();
  };
  if (in(taken_names_, x.name))
    return make_error(errc::already_exists,
                      "its name '" + x.name
                        + "' is also an MCP server's or a remote A2A "
                          "agent's (tool names would clash)");
  if (in(plugin_names_, x.name))
    return make_error(errc::already_exists,
                      "a plugin named '" + x.name + "' is loaded already");
  for (const auto& kind : x.actor_kinds)
    if (in(kinds_, kind.kind))
      return make_error(errc::already_exists,
                        "actor kind '" + kind.kind
                          + "' is registered by an earlier plugin");
  return caf::none;
}

plugin_set plugin_loader::load_all(const std::vector<fs::path>& paths) {
  plugin_set result;
  for (const auto& file : plugin_files(paths)) {
    auto loaded = load(file);
    if (loaded)
      result.loaded.push_back(std::move(*loaded));
    else
      result.failed.push_back({file, last_name_, reason_of(loaded.error())});
  }
  return result;
}

caf::expected<plugin_set> load_plugins(const plugins_options& opts,
                                       type_check known_type,
                                       std::vector<std::string> taken_names) {
  plugin_loader loader{std::move(known_type), std::move(taken_names)};
  auto result = loader.load_all(opts.paths);
  if (opts.required && !result.failed.empty())
    return make_error(errc::failed_precondition,
                      describe(result.failed.front())
                        + " (plugins.required is true)");
  return result;
}

std::vector<fs::path> plugin_files(const std::vector<fs::path>& paths) {
  std::vector<fs::path> result;
  for (const auto& path : paths) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) {
      result.push_back(path);
      continue;
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator{path, ec})
      if (entry.path().extension() == ".so" && !entry.is_directory())
        files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    result.insert(result.end(), files.begin(), files.end());
  }
  return result;
}

} // namespace bsm::plugins
