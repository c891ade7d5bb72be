#pragma once

// Agent memory in the node's store (column family `memory`):
//   "kv" NUL agent NUL key                  -> value
//   "s"  NUL agent NUL session NUL seq(BE64) -> bsm.v1.SessionTurn
//   "st" NUL agent NUL session NUL turn id  -> first seq, last seq (BE64 each)
// (the layout lives in runtime/store/agent_state.hpp).
// The last marks a turn appended with a turn id (written in the same batch
// as its turns), so the same turn appended again writes nothing.
// Session ids hold no control character, so "s" NUL agent NUL session 0x01
// sorts after every turn of that session and before the next session.
// The actor runs detached (its own thread): RocksDB reads and writes block,
// and must never hold a CAF scheduler thread. It holds the newest turns of
// recently used sessions (session_cache), so that an active session's
// history read does not touch the store, and their last turn numbers
// (session_sequences), so that an append does not read first.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <rocksdb/iterator.h>

#include "actors/interfaces.hpp"
#include "actors/memory_options.hpp"
#include "actors/memory_replication.hpp"
#include "actors/session_cache.hpp"
#include "actors/session_sequences.hpp"
#include "runtime/metrics/instrumented.hpp"
#include "runtime/store/state_apply.hpp"
#include "runtime/store/store.hpp"

namespace bsm {

/// One write of a memory operation, made at once (a direct request) or
/// handed to a mailbox as part of an effect (an EffectRequest).
struct memory_write {
  std::string key;
  std::string value;
  bool erase = false;
};

struct memory_state {
  static constexpr const char* name = "memory";

  /// REQUIRES: outlives the actor.
  store* db = nullptr;
  memory_options limits;
  /// Last turn number per session key prefix, read from the store on a
  /// miss, and the turns handed out on the effect path whose commit has
  /// not been seen in the store yet. Memory does not learn when a mailbox
  /// commits, so such a session is not cached until a store read shows
  /// that turn. Shared with the next incarnation of the actor.
  std::shared_ptr<session_sequences> sequences;
  session_cache cache;
  /// Replicas of agents' memory (memory_replication.hpp).
  memory_replicas replicas;

  caf::expected<v1::MemoryPutResponse> put(const v1::MemoryPutRequest& req);
  caf::expected<v1::MemoryGetResponse> get(const v1::MemoryGetRequest& req);
  caf::expected<v1::MemoryDeleteResponse>
  erase(const v1::MemoryDeleteRequest& req);
  caf::expected<v1::MemoryListResponse> list(const v1::MemoryListRequest& req);
  caf::expected<v1::SessionAppendResponse>
  append(const v1::SessionAppendRequest& req);
  /// Appends all turns of `req` in one atomic write, or none.
  caf::expected<v1::SessionAppendTurnsResponse>
  append_turns(const v1::SessionAppendTurnsRequest& req);
  caf::expected<v1::SessionReadResponse>
  read(const v1::SessionReadRequest& req);
  /// A page of the agent's sessions: a skip scan, two seeks per session.
  caf::expected<v1::SessionListResponse>
  list_sessions(const v1::SessionListRequest& req);
  /// A page of a session's turns, oldest first, from the store.
  caf::expected<v1::SessionPageResponse>
  read_page(const v1::SessionPageRequest& req);

  /// The writes that the envelopes of `req` cause, none made: puts,
  /// deletes and session appends (numbered after every turn stored or
  /// handed out before); reads cause none. An envelope that can never
  /// succeed is refused; an error (a failed read of the store) refuses
  /// the whole batch. A sequence number handed out in a batch that is
  /// then not committed is skipped, never reused.
  caf::expected<v1::EffectResponse> effects(const v1::EffectRequest& req);

  /// A write request planned: the writes it makes (none yet), what
  /// memory's caches learn once they are stored, and its answer then.
  template <class Response>
  struct planned {
    std::vector<memory_write> writes;
    std::function<void()> stored;
    Response response;
  };
  caf::expected<planned<v1::MemoryPutResponse>>
  plan_put(const v1::MemoryPutRequest& req);
  caf::expected<planned<v1::MemoryDeleteResponse>>
  plan_erase(const v1::MemoryDeleteRequest& req);
  caf::expected<planned<v1::SessionAppendTurnsResponse>>
  plan_append_turns(const v1::SessionAppendTurnsRequest& req);

  /// Makes `writes` in one atomic batch.
  caf::error commit(const std::vector<memory_write>& writes);

  /// Commits `plan` and returns its answer.
  template <class Response>
  caf::expected<Response> commit(caf::expected<planned<Response>> plan);

  /// Writes a chunk of an agent's state from another node in one atomic
  /// batch (runtime/store/state_apply.hpp: the first chunk replaces what
  /// this store held of the agent, a chunk sent again is answered without
  /// a write) and forgets the agent's sessions held in memory, whose store
  /// copy it replaced. Errors: invalid_argument (an entry outside the
  /// agent's state, a chunk out of order: start again at seq 0), those of
  /// the store's write.
  caf::expected<v1::StateChunkResponse>
  receive_state(const v1::StateChunkRequest& req);

  /// The next chunk expected per sending node and agent.
  chunk_sequences chunks;

private:
  caf::expected<memory_write> put_write(const v1::MemoryPutRequest& req) const;
  caf::expected<memory_write>
  delete_write(const v1::MemoryDeleteRequest& req) const;
  /// The next turns of a session, numbered after its last one: their
  /// writes, the turns and the session's key prefix (last_seq is left as
  /// it was).
  struct planned_turns {
    std::vector<memory_write> writes;
    std::vector<v1::SessionTurn> turns;
    std::string session;
  };
  caf::expected<planned_turns>
  next_turns(const v1::SessionAppendTurnsRequest& req);
  /// What an earlier append with `req`'s turn id stored (replayed, with
  /// its turns), or nullopt if there was none.
  caf::expected<std::optional<v1::SessionAppendTurnsResponse>>
  appended_before(const v1::SessionAppendTurnsRequest& req);
  /// Plans `req`'s turns for a mailbox to commit (see effects).
  caf::expected<std::vector<memory_write>>
  effect_turns(const v1::SessionAppendTurnsRequest& req);
  /// Up to `limit` turns before `before` from the store, oldest first.
  caf::expected<v1::SessionReadResponse>
  read_store(const std::string& prefix, uint64_t before, size_t limit);
  /// Holds `page` (the newest turns of `prefix` as the store has them)
  /// unless a turn from the effect path may still be missing from it.
  void maybe_cache(const std::string& prefix,
                   const v1::SessionReadResponse& page);
  /// The writes of one envelope.
  caf::expected<std::vector<memory_write>>
  effect_of(const v1::Envelope& envelope);

  /// Over the whole memory family, in key order.
  std::unique_ptr<rocksdb::Iterator> iterator() const;
  /// Over one session's turns: the family's prefix filters skip the table
  /// files without the session (runtime/store/session_prefix.hpp), and
  /// the iterator ends at the session's first or last turn.
  std::unique_ptr<rocksdb::Iterator> session_iterator() const;
  caf::error check_key(const std::string& agent, const std::string& key) const;
  caf::expected<uint64_t> last_seq_of(const std::string& session_prefix);
};

using memory_pointer = memory_actor::stateful_pointer<memory_state>;

/// Spawn with
/// `sys.spawn<caf::detached>(memory, &db, limits, metrics, sequences,
/// replication)` (metrics: the node's session_cache_metrics, or {} for
/// none; sequences: the node's, kept across restarts of the actor, or null
/// for a new one bounded by limits.sequence_cache_sessions; replication:
/// {} on a node without replicas).
memory_actor::behavior_type memory(memory_pointer self, store* db,
                                   memory_options limits,
                                   session_cache_metrics metrics,
                                   std::shared_ptr<session_sequences> sequences,
                                   memory_replication_env replication = {},
                                   memory_replica_metrics replica_metrics = {});

} // namespace bsm
