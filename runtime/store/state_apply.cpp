#include "runtime/store/state_apply.hpp"

#include <rocksdb/write_batch.h>

#include "runtime/error.hpp"
#include "runtime/store/agent_state.hpp"

namespace bsm {

namespace {

// The first key after every key that starts with `prefix`. The state's
// prefixes end in NUL or '/', so the last byte never carries over.
std::string prefix_end(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF)
    prefix.pop_back();
  if (!prefix.empty())
    prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

} // namespace

caf::error check_state_chunk(const v1::StateChunk& chunk) {
  if (chunk.agent().empty())
    return make_error(errc::invalid_argument, "state chunk without an agent");
  for (const auto& entry : chunk.entries())
    if (!in_agent_state(chunk.agent(), entry.family(), entry.key()))
      return make_error(errc::invalid_argument,
                        "state chunk " + std::to_string(chunk.seq())
                          + " holds an entry outside agent '" + chunk.agent()
                          + "'");
  return caf::none;
}

caf::expected<size_t> apply_state_chunk(store& db,
                                        const v1::StateChunk& chunk) {
  if (auto err = check_state_chunk(chunk))
    return err;
  rocksdb::WriteBatch batch;
  if (chunk.seq() == 0)
    for (const auto& range : agent_state_ranges(chunk.agent())) {
      auto cf = db.handle(*column_of(range.family));
      auto st = batch.DeleteRange(cf, range.prefix, prefix_end(range.prefix));
      if (!st.ok())
        return from_rocksdb(st, "clearing agent state");
    }
  for (const auto& entry : chunk.entries()) {
    auto st = batch.Put(db.handle(*column_of(entry.family())), entry.key(),
                        entry.value());
    if (!st.ok())
      return from_rocksdb(st, "writing agent state");
  }
  if (auto err = db.write(batch))
    return err;
  return static_cast<size_t>(chunk.entries_size());
}

chunk_sequences::chunk_sequences(size_t max_transfers) : next_(max_transfers) {}

std::string chunk_sequences::key_of(const std::string& from_node,
                                    const std::string& agent) {
  // Node names hold no NUL, so the pair splits one way.
  return from_node + '\0' + agent;
}

chunk_verdict chunk_sequences::check(const std::string& from_node,
                                     const std::string& agent,
                                     uint64_t seq) const {
  if (seq == 0)
    return chunk_verdict::apply;
  const auto* next = next_.peek(key_of(from_node, agent));
  if (next == nullptr || seq > *next)
    return chunk_verdict::refuse;
  return seq == *next ? chunk_verdict::apply : chunk_verdict::repeat;
}

void chunk_sequences::applied(const std::string& from_node,
                              const std::string& agent, uint64_t seq) {
  next_.put(key_of(from_node, agent), seq + 1);
}

} // namespace bsm
