#pragma once

// Plugins' actor kinds in the tree: a supervisor "plugins" under the root
// with one detached actor per kind at "plugins/<kind>" (its own thread, so
// a handler may block). Each takes the bsm.v1 types its kind declared
// (child_spec::handles, so a tell of another type is refused at send) and
// hands the kind's handler the message as protobuf JSON (field names as in
// the .proto); the handler's reply, JSON of a bsm.v1 type, goes back to an
// asker. A handler's error is an `internal` error for the asker. A handler
// that throws is answered `internal` too and the actor then exits with
// that error, so the supervisor restarts it with the node's backoff; the
// supervisor never escalates (a faulty plugin must not take the node down).

#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "plugins/plugin_loader.hpp"
#include "plugins/plugin_metrics.hpp"
#include "runtime/messages/type_registry.hpp"
#include "runtime/supervision/child_spec.hpp"
#include "runtime/supervision/supervision_options.hpp"

namespace bsm::plugins {

/// The supervisor of the actor kinds, a child of the root.
inline constexpr const char* plugins_supervisor_name = "plugins";

/// What one message came to.
struct kind_answer {
  outcome how = outcome::ok;
  /// The reply (type name and JSON); empty type name: none.
  plugin::json_message reply;
  /// Set for error and exception.
  caf::error error;
};

/// Runs `kind`'s handler on `in` (a type it declared). Never throws.
[[nodiscard]] kind_answer handle_message(const plugin::actor_kind_spec& kind,
                                         const plugin::json_message& in);

/// What a kind's actor needs.
struct kind_env {
  plugin_ptr plugin;
  /// Index of the kind in plugin->contents().actor_kinds.
  size_t index = 0;
  /// Decodes and encodes messages; outlives the actor.
  const type_registry* types = nullptr;
  plugin_metrics metrics;
};

/// Spawns one kind's actor, detached.
caf::actor spawn_kind(caf::actor_system& sys, kind_env env);

/// True if a plugin of `set` has an actor kind (else no "plugins"
/// supervisor is started).
[[nodiscard]] bool has_actor_kinds(const plugin_set& set);

/// The "plugins" subtree: one child per actor kind of every plugin in
/// `loaded`, in load order. `sup` gives the restart backoff; `env` is the
/// parent's supervision environment.
child_spec plugins_child(const std::vector<plugin_ptr>& loaded,
                         const type_registry* types, plugin_metrics metrics,
                         const supervision_options& sup, supervision_env env);

} // namespace bsm::plugins
