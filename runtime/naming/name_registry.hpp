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
};

} // namespace bsm
