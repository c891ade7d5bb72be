#include "agents/agent_catalog.hpp"

#include <google/protobuf/util/message_differencer.h>

#include "agents/agent_definition.hpp"
#include "runtime/error.hpp"

namespace bsm::agents {

agent_catalog::agent_catalog(std::vector<std::filesystem::path> paths)
  : paths_(std::move(paths)) {
  // nop
}

caf::expected<catalog_diff> agent_catalog::load() {
  auto defs = load_definitions(paths_);
  if (!defs)
    return defs.error();
  std::map<std::string, std::shared_ptr<const agent_entry>> next;
  for (auto& def : *defs) {
    std::vector<std::filesystem::path> folders{def.knowledge().begin(),
                                               def.knowledge().end()};
    auto index = knowledge::knowledge_index::load(folders);
    if (!index)
      return make_error(errc::invalid_argument,
                        "agent '" + def.name() + "' (" + def.source_file()
                          + "): knowledge: " + render(index.error()));
    auto entry = std::make_shared<agent_entry>();
    entry->knowledge
      = std::make_shared<const knowledge::knowledge_index>(std::move(*index));
    entry->def = std::move(def);
    next.emplace(entry->def.name(), std::move(entry));
  }
  catalog_diff diff;
  std::lock_guard<std::mutex> guard{mtx_};
  for (const auto& [name, entry] : next) {
    auto old = entries_.find(name);
    if (old == entries_.end())
      diff.added.push_back(name);
    else if (!google::protobuf::util::MessageDifferencer::Equals(
               old->second->def, entry->def))
      diff.updated.push_back(name);
  }
  for (const auto& [name, entry] : entries_)
    if (next.count(name) == 0)
      diff.removed.push_back(name);
  entries_ = std::move(next);
  return diff;
}

std::shared_ptr<const agent_entry>
agent_catalog::find(const std::string& name) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = entries_.find(name);
  return i == entries_.end() ? nullptr : i->second;
}

std::vector<std::shared_ptr<const agent_entry>> agent_catalog::all() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<std::shared_ptr<const agent_entry>> result;
  for (const auto& [name, entry] : entries_)
    result.push_back(entry);
  return result;
}

} // namespace bsm::agents
