#pragma once

// The interface between bsmd and a plugin: the one header a plugin author
// includes (docs/PLUGINS.md walks through writing one).
//
// A plugin is a shared library (a CMake MODULE) that bsmd loads at start
// from `plugins.paths` with dlopen(RTLD_NOW | RTLD_LOCAL). It exports two C
// functions, which BSM_PLUGIN(register_fn) defines:
//
//   uint32_t bsm_plugin_abi_version(void);   // BSM_PLUGIN_ABI_VERSION
//   int bsm_plugin_register(bsm_plugin_host* host);
//
// The node reads the version first and skips a plugin built against another
// one; then it calls the registration, which describes the plugin through
// `bsm::plugin::registrar`: its name, tools for agents and actor kinds for
// the supervision tree. Nothing a plugin registers is in use until the
// registration returned; a registration that throws or returns non-zero
// leaves nothing behind.
//
// What a plugin may count on:
// - Tools: an agent names a plugin's tool as "<plugin>__<tool>" in its
//   `tools:` list, as it names an MCP server's. The handler gets the
//   model's arguments as JSON text (an object) and returns text. Calls of
//   one plugin's tools run one at a time on that plugin's own thread (a
//   detached actor), never on the node's scheduler threads, so a handler
//   may block (within the call's timeout).
// - Actor kinds: each kind runs as one actor at "plugins/<kind>" under the
//   `plugins` supervisor, on its own thread, and handles the bsm.v1 message
//   types it declares (as protobuf JSON, both ways). Tells and asks reach
//   it by that path, locally or from other nodes, like any named actor.
// - An exception thrown by a handler is caught: a tool call becomes an
//   error result the model sees, an actor kind's message an `internal`
//   error for the sender (and the actor is restarted by its supervisor).
//   A crash (a segfault, abort) is not contained: plugins run inside the
//   node's process. Handlers must not call exit().
//
// ABI: the types below cross the library boundary as C++ types
// (std::string, std::function), so a plugin must be built with the same
// compiler family, standard library and C++17 ABI as bsmd (the in-tree
// CMake does). BSM_PLUGIN_ABI_VERSION changes whenever anything in this
// header changes.

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

/// The version of this header's interface.
#define BSM_PLUGIN_ABI_VERSION 1u

namespace bsm::plugin {

inline constexpr uint32_t abi_version = BSM_PLUGIN_ABI_VERSION;

// -- tools --------------------------------------------------------------------

/// What a tool call returns: text for the model, or an error it sees.
struct tool_result {
  std::string text;
  /// The tool ran and failed (bad arguments, nothing found, ...).
  bool is_error = false;

  static tool_result ok(std::string text) {
    return {std::move(text), false};
  }

  static tool_result error(std::string text) {
    return {std::move(text), true};
  }
};

/// Runs one call. `arguments_json` is a JSON object (the model's arguments;
/// "{}" for none). May block; may throw (the call then fails with the
/// exception's text).
using tool_handler
  = std::function<tool_result(const std::string& arguments_json)>;

struct tool_spec {
  /// [a-zA-Z0-9_-]; the model sees "<plugin>__<name>", at most 64
  /// characters in all. Unique within the plugin.
  std::string name;
  /// What the tool does, for the model.
  std::string description;
  /// JSON Schema of the arguments: a JSON object (`{"type": "object", ...}`).
  std::string input_schema_json = R"({"type":"object"})";
  /// Required.
  tool_handler handler;
};

// -- actor kinds --------------------------------------------------------------

/// One message in its outside form: a full bsm.v1 type name
/// ("bsm.v1.PingRequest") and its protobuf JSON mapping.
struct json_message {
  std::string type_name;
  std::string json;
};

/// What an actor kind's handler answers: a reply message (for an ask; a
/// tell drops it), or an error text (the asker gets `internal` with it).
/// An empty `reply.type_name` with no error answers nothing.
struct message_result {
  json_message reply;
  std::string error;

  static message_result answer(std::string type_name, std::string json) {
    return {{std::move(type_name), std::move(json)}, {}};
  }

  static message_result failure(std::string text) {
    return {{}, std::move(text)};
  }
};

/// Handles one message of a declared type. May block; may throw.
using message_handler = std::function<message_result(const json_message&)>;

struct actor_kind_spec {
  /// [a-z0-9_-], unique in the node; the actor runs at "plugins/<kind>".
  std::string kind;
  /// The bsm.v1 message types it handles (full names); at least one.
  std::vector<std::string> handles;
  /// Required.
  message_handler handler;
};

// -- registration -------------------------------------------------------------

/// What a plugin's registration function describes itself to. Implemented
/// by the node; valid only during the registration call.
class registrar {
public:
  virtual ~registrar() = default;

  /// Required, once: the plugin's name ([a-z0-9_-], at most 32 characters,
  /// no "__": the "<plugin>__" of its tools), its version and what it does.
  virtual void describe(std::string name, std::string version,
                        std::string description)
    = 0;

  /// Offers a tool to agents.
  virtual void add_tool(tool_spec spec) = 0;

  /// Declares an actor kind.
  virtual void add_actor_kind(actor_kind_spec spec) = 0;
};

} // namespace bsm::plugin

extern "C" {

/// What bsmd passes to a plugin's entry point.
struct bsm_plugin_host {
  /// The node's BSM_PLUGIN_ABI_VERSION.
  uint32_t abi_version;
  bsm::plugin::registrar* registrar;
};

/// The two symbols bsmd looks up.
#define BSM_PLUGIN_ABI_SYMBOL "bsm_plugin_abi_version"
#define BSM_PLUGIN_REGISTER_SYMBOL "bsm_plugin_register"

} // extern "C"

/// Defines the plugin's two entry points around `register_fn`, a function
/// `void register_fn(bsm::plugin::registrar&)`. Use once per plugin, at
/// namespace scope. An exception from `register_fn` reaches bsmd, which
/// reports its text and skips the plugin.
#define BSM_PLUGIN(register_fn)                                              \
  extern "C" __attribute__((visibility("default"))) uint32_t                 \
  bsm_plugin_abi_version() {                                                 \
    return BSM_PLUGIN_ABI_VERSION;                                           \
  }                                                                          \
  extern "C" __attribute__((visibility("default"))) int bsm_plugin_register( \
    bsm_plugin_host* host) {                                                 \
    register_fn(*host->registrar);                                           \
    return 0;                                                                \
  }
