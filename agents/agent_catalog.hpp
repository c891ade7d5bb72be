#pragma once

// The node's agent definitions with their knowledge indexes, shared by the
// agent actors (each reads its entry at the start of every turn) and the
// agent manager. Loading reads files and builds indexes, so it runs on the
// node's start and signal threads, never on a CAF scheduler thread; readers
// only take a short lock to copy a shared pointer.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "agents/knowledge/knowledge_index.hpp"
#include "protocols/caf_types.hpp"

namespace bsm::agents {

/// One agent as it runs: its definition and its knowledge.
struct agent_entry {
  v1::AgentDefinition def;
  std::shared_ptr<const knowledge::knowledge_index> knowledge;
};

/// What a reload changed.
struct catalog_diff {
  std::vector<std::string> added;
  std::vector<std::string> updated;
  std::vector<std::string> removed;
};

class agent_catalog {
public:
  explicit agent_catalog(std::vector<std::filesystem::path> paths);

  /// Reads every definition and knowledge folder again and replaces the
  /// catalog. All or nothing: on an error (a bad file, a missing folder)
  /// nothing changes and every agent keeps its definition.
  [[nodiscard]] caf::expected<catalog_diff> load();

  /// The entry of `name`, or null.
  [[nodiscard]] std::shared_ptr<const agent_entry>
  find(const std::string& name) const;

  /// Every entry, by name.
  [[nodiscard]] std::vector<std::shared_ptr<const agent_entry>> all() const;

private:
  std::vector<std::filesystem::path> paths_;
  mutable std::mutex mtx_;
  std::map<std::string, std::shared_ptr<const agent_entry>> entries_;
};

} // namespace bsm::agents
