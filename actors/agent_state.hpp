#pragma once

// An agent's state in the memory family as a whole: what its copies
// (cluster.replication_factor 2) exchange. Reads and builds write batches
// over the store; no actor, no cluster. Blocking: call from a detached
// actor.

#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <rocksdb/write_batch.h>

#include "bsm/v1/mailbox.pb.h"
#include "runtime/cluster/replica_rule.hpp"
#include "runtime/store/store.hpp"

namespace bsm {

class agent_state {
public:
  /// REQUIRES: `db` outlives this.
  explicit agent_state(store* db) : db_(db) {}

  /// Who acted for `agent`'s state last, as this node knows it.
  caf::expected<cluster::epoch_record> epoch(const std::string& agent) const;

  /// Adds the write of `record` for `agent` to `batch`.
  caf::error put_epoch(rocksdb::WriteBatch& batch, const std::string& agent,
                       const cluster::epoch_record& record) const;

  struct page {
    std::vector<v1::StoreWrite> entries;
    /// True when no key of the state follows the last entry.
    bool done = false;
  };

  /// The entries of `agent`'s state after `after_key` (empty: from the
  /// start), in key order, until about `max_bytes` are taken (at least
  /// one entry).
  caf::expected<page> read_page(const std::string& agent,
                                const std::string& after_key,
                                size_t max_bytes) const;

  /// Adds to `batch` the removal of everything `agent`'s state holds.
  caf::error clear(rocksdb::WriteBatch& batch, const std::string& agent) const;

  /// Adds `writes` to `batch`. Errors: invalid_argument for a key outside
  /// `agent`'s state (a copy never writes another agent's keys).
  caf::error
  add(rocksdb::WriteBatch& batch, const std::string& agent,
      const google::protobuf::RepeatedPtrField<v1::StoreWrite>& writes) const;

  /// True if `key` is part of `agent`'s state.
  static bool owns(const std::string& agent, const std::string& key);

private:
  store* db_;
};

} // namespace bsm
