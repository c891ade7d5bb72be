#include "actors/agent_state.hpp"

#include <memory>

#include <rocksdb/iterator.h>

#include "actors/memory_keys.hpp"
#include "runtime/error.hpp"

namespace bsm {

namespace {

// The first key after every key that starts with `prefix` (a prefix of
// an agent's state ends with NUL, so raising that byte is enough).
std::string range_end(std::string prefix) {
  prefix.back() = '\x01';
  return prefix;
}

} // namespace

caf::expected<cluster::epoch_record>
agent_state::epoch(const std::string& agent) const {
  auto value = db_->get(column::memory, memory_keys::epoch_key(agent));
  if (!value)
    return value.error();
  if (!*value)
    return cluster::epoch_record{};
  auto record = cluster::decode_epoch_record(**value);
  if (!record)
    return make_error(errc::internal, "corrupt epoch record of agent '" + agent
                                        + "' in the store");
  return std::move(*record);
}

caf::error agent_state::put_epoch(rocksdb::WriteBatch& batch,
                                  const std::string& agent,
                                  const cluster::epoch_record& record) const {
  auto st = batch.Put(db_->handle(column::memory),
                      memory_keys::epoch_key(agent), cluster::encode(record));
  return from_rocksdb(st, "epoch record write failed");
}

caf::expected<agent_state::page>
agent_state::read_page(const std::string& agent, const std::string& after_key,
                       size_t max_bytes) const {
  rocksdb::ReadOptions opts;
  // The family has a prefix extractor; this iterator ignores it.
  opts.total_order_seek = true;
  std::unique_ptr<rocksdb::Iterator> it{
    db_->db().NewIterator(opts, db_->handle(column::memory))};
  page result;
  size_t taken = 0;
  for (const auto& prefix : memory_keys::state_prefixes(agent)) {
    auto end = range_end(prefix);
    if (!after_key.empty() && after_key >= end)
      continue;
    if (after_key.empty() || after_key < prefix) {
      it->Seek(prefix);
    } else {
      it->Seek(after_key);
      if (it->Valid() && it->key() == after_key)
        it->Next();
    }
    for (; it->Valid() && it->key().compare(end) < 0; it->Next()) {
      if (taken >= max_bytes && !result.entries.empty())
        return result;
      auto& entry = result.entries.emplace_back();
      entry.set_column(v1::EFFECT_COLUMN_MEMORY);
      entry.set_key(it->key().ToString());
      entry.set_value(it->value().ToString());
      taken += it->key().size() + it->value().size();
    }
    if (auto err = from_rocksdb(it->status(), "agent state read failed"))
      return err;
  }
  result.done = true;
  return result;
}

caf::error agent_state::clear(rocksdb::WriteBatch& batch,
                              const std::string& agent) const {
  for (const auto& prefix : memory_keys::state_prefixes(agent)) {
    auto st = batch.DeleteRange(db_->handle(column::memory), prefix,
                                range_end(prefix));
    if (!st.ok())
      return from_rocksdb(st, "agent state clear failed");
  }
  return caf::none;
}

caf::error agent_state::add(
  rocksdb::WriteBatch& batch, const std::string& agent,
  const google::protobuf::RepeatedPtrField<v1::StoreWrite>& writes) const {
  for (const auto& w : writes) {
    if (!owns(agent, w.key()))
      return make_error(errc::invalid_argument,
                        "a copy of agent '" + agent
                          + "' got a key outside its state");
    auto st = w.erase()
                ? batch.Delete(db_->handle(column::memory), w.key())
                : batch.Put(db_->handle(column::memory), w.key(), w.value());
    if (!st.ok())
      return from_rocksdb(st, "agent state write failed");
  }
  return caf::none;
}

bool agent_state::owns(const std::string& agent, const std::string& key) {
  for (const auto& prefix : memory_keys::state_prefixes(agent))
    if (key.compare(0, prefix.size(), prefix) == 0)
      return true;
  return false;
}

} // namespace bsm
