#include "runtime/store/agent_state.hpp"

#include <algorithm>
#include <memory>

#include <rocksdb/db.h>

#include "runtime/store/session_prefix.hpp"

namespace bsm {

namespace {

std::string tagged(std::string_view tag, std::string_view agent) {
  std::string result{tag};
  result += agent;
  result += '\0';
  return result;
}

// A kind of key that starts with an agent's name: its tag, and the byte
// that ends the name.
struct agent_keys {
  column family;
  std::string tag;
  char end;
};

std::vector<agent_keys> agent_key_kinds() {
  return {
    {column::memory, std::string{"kv\0", 3}, '\0'},
    {column::memory, std::string{session_turn_tag, sizeof session_turn_tag},
     '\0'},
    {column::memory, std::string{"st\0", 3}, '\0'},
    {column::idempotency, std::string{tool_ledger_prefix}, '/'},
  };
}

// Up to `limit` agents after `after` with keys of `kind`, one seek each.
caf::error scan_agents(const store& db, const agent_keys& kind,
                       const std::string& after, size_t limit,
                       std::vector<std::string>& out) {
  rocksdb::ReadOptions opts;
  opts.total_order_seek = true;
  std::unique_ptr<rocksdb::Iterator> it{
    db.db().NewIterator(opts, db.handle(kind.family))};
  rocksdb::Slice tag{kind.tag};
  size_t found = 0;
  // Names that extend `after` with a byte below `end` sort before
  // `after`'s own keys, so the scan starts at `after` itself and skips.
  for (it->Seek(kind.tag + after); it->Valid() && found < limit;) {
    auto key = it->key();
    if (!key.starts_with(tag))
      break;
    std::string_view rest{key.data() + tag.size(), key.size() - tag.size()};
    auto end = rest.find(kind.end);
    std::string agent{rest.substr(0, end)};
    if (end != std::string_view::npos && !agent.empty() && agent > after) {
      out.push_back(agent);
      ++found;
    }
    // Past every key of this name: its end byte plus one.
    it->Seek(kind.tag + agent + static_cast<char>(kind.end + 1));
  }
  if (!it->status().ok())
    return from_rocksdb(it->status(), "listing agents with state");
  return caf::none;
}

} // namespace

std::string memory_kv_prefix(std::string_view agent) {
  return tagged(std::string_view{"kv\0", 3}, agent);
}

std::string memory_sessions_base(std::string_view agent) {
  return tagged(std::string_view{session_turn_tag, sizeof session_turn_tag},
                agent);
}

std::string memory_turn_markers_base(std::string_view agent) {
  return tagged(std::string_view{"st\0", 3}, agent);
}

std::string tool_ledger_agent_prefix(std::string_view agent) {
  std::string result{tool_ledger_prefix};
  result += agent;
  result += '/';
  return result;
}

std::vector<state_range> agent_state_ranges(std::string_view agent) {
  return {
    {v1::STATE_FAMILY_MEMORY, memory_kv_prefix(agent)},
    {v1::STATE_FAMILY_MEMORY, memory_sessions_base(agent)},
    {v1::STATE_FAMILY_MEMORY, memory_turn_markers_base(agent)},
    {v1::STATE_FAMILY_TOOL_LEDGER, tool_ledger_agent_prefix(agent)},
  };
}

std::optional<column> column_of(v1::StateFamily family) {
  switch (family) {
    case v1::STATE_FAMILY_MEMORY: return column::memory;
    case v1::STATE_FAMILY_TOOL_LEDGER: return column::idempotency;
    default: return std::nullopt;
  }
}

bool in_agent_state(std::string_view agent, v1::StateFamily family,
                    std::string_view key) {
  for (const auto& range : agent_state_ranges(agent))
    // A key that is only the prefix names nothing (an empty kv key, a
    // session without a number): refused like any stray key.
    if (range.family == family && key.size() > range.prefix.size()
        && key.substr(0, range.prefix.size()) == range.prefix)
      return true;
  return false;
}

caf::expected<std::vector<std::string>>
agents_with_state(const store& db, const std::string& after, size_t limit) {
  std::vector<std::string> result;
  for (const auto& kind : agent_key_kinds())
    if (auto err = scan_agents(db, kind, after, limit, result))
      return err;
  std::sort(result.begin(), result.end());
  result.erase(std::unique(result.begin(), result.end()), result.end());
  if (result.size() > limit)
    result.resize(limit);
  return result;
}

} // namespace bsm
