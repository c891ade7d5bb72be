#include "runtime/store/state_chunker.hpp"

#include <cassert>
#include <memory>

namespace bsm {

state_chunker::state_chunker(const store& db, std::string agent,
                             chunk_limits limits)
  : db_(db), agent_(std::move(agent)), limits_(limits),
    ranges_(agent_state_ranges(agent_)), snapshot_(db.db().GetSnapshot()) {
  assert(limits_.max_bytes > 0 && limits_.max_entries > 0);
}

state_chunker::~state_chunker() {
  db_.db().ReleaseSnapshot(snapshot_);
}

caf::expected<v1::StateChunk> state_chunker::next() {
  assert(!done_);
  v1::StateChunk chunk;
  chunk.set_agent(agent_);
  chunk.set_seq(seq_);
  size_t chunk_bytes = 0;
  // On an error the same chunk is read again from where it began.
  auto start_range = range_;
  auto start_from = from_;
  while (range_ < ranges_.size()) {
    auto full = fill(chunk, chunk_bytes);
    if (!full) {
      range_ = start_range;
      from_ = std::move(start_from);
      return full.error();
    }
    if (!*full)
      break;
    ++range_;
    from_.clear();
  }
  chunk.set_last(range_ == ranges_.size());
  done_ = chunk.last();
  ++seq_;
  entries_ += static_cast<uint64_t>(chunk.entries_size());
  bytes_ += chunk_bytes;
  return chunk;
}

caf::expected<bool> state_chunker::fill(v1::StateChunk& chunk,
                                        size_t& chunk_bytes) {
  const auto& range = ranges_[range_];
  rocksdb::ReadOptions opts;
  opts.snapshot = snapshot_;
  // The memory family has a prefix extractor; these ranges are not its
  // prefixes, so the iterator must ignore it.
  opts.total_order_seek = true;
  std::unique_ptr<rocksdb::Iterator> it{
    db_.db().NewIterator(opts, db_.handle(*column_of(range.family)))};
  rocksdb::Slice prefix{range.prefix};
  for (it->Seek(from_.empty() ? prefix : rocksdb::Slice{from_});
       it->Valid() && it->key().starts_with(prefix); it->Next()) {
    auto size = it->key().size() + it->value().size();
    auto count = static_cast<size_t>(chunk.entries_size());
    if (count > 0
        && (count >= limits_.max_entries
            || chunk_bytes + size > limits_.max_bytes)) {
      from_ = it->key().ToString();
      return false;
    }
    auto* entry = chunk.add_entries();
    entry->set_family(range.family);
    entry->set_key(it->key().data(), it->key().size());
    entry->set_value(it->value().data(), it->value().size());
    chunk_bytes += size;
  }
  if (!it->status().ok())
    return from_rocksdb(it->status(), "reading agent state");
  return true;
}

} // namespace bsm
