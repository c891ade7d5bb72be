#pragma once

// Actors registered by path ("hub/task_queue", "agents/legal") so the HTTP
// bridge, bsmctl and the cluster can find them by name. Supervisors keep the
// entries current across restarts.

#include <map>
#include <shared_mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace bsm {

/// Thread-safe: every member may be called from any thread.
class name_registry {
public:
  /// Returns an error unless `path` is one or more '/'-separated segments of
  /// [a-z0-9_.-] (lower case, no empty segment), at most 256 characters.
  [[nodiscard]] static caf::error validate_path(const std::string& path);

  /// Registers `handle` under `path`, replacing an earlier holder (a
  /// restarted actor takes over its predecessor's name).
  /// Errors: `invalid_argument` for a malformed path or an invalid handle.
  [[nodiscard]] caf::error put(const std::string& path, caf::actor handle);

  /// As above, with the message types (protobuf full names) the actor
  /// handles (runtime/messages/handled_types.hpp); empty declares none.
  [[nodiscard]] caf::error put(const std::string& path, caf::actor handle,
                               std::vector<std::string> handles);

  /// The types `path`'s actor declared; empty if none or no such actor.
  [[nodiscard]] std::vector<std::string> handles(const std::string& path) const;

  /// Errors: `invalid_argument`, naming the type and the actor, if `path`
  /// declared its types and `type_name` is not one of them. An actor not
  /// registered here (on another node, or restarting) or that declared
  /// nothing passes: its mailbox finds out at delivery.
  [[nodiscard]] caf::error check_handles(const std::string& path,
                                         const std::string& type_name) const;

  /// Removes `path` if it still names `handle`, so a late cleanup of a
  /// dead incarnation never unregisters its successor.
  void erase(const std::string& path, const caf::actor_addr& handle);

  /// Errors: `not_found` if nothing is registered under `path`.
  [[nodiscard]] caf::expected<caf::actor> get(const std::string& path) const;

  /// All entries, sorted by path.
  [[nodiscard]] std::vector<std::pair<std::string, caf::actor>> list() const;

  [[nodiscard]] size_t size() const;

private:
  mutable std::shared_mutex mtx_;
  std::map<std::string, caf::actor> entries_;
  /// Declared types by path, while the path is registered.
  std::map<std::string, std::vector<std::string>> handles_;
};

} // namespace bsm
