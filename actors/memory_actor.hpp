#pragma once

// Agent memory in the node's store (column family `memory`):
//   "kv" NUL agent NUL key                  -> value
//   "s"  NUL agent NUL session NUL seq(BE64) -> bsm.v1.SessionTurn
// The actor runs detached (its own thread): RocksDB reads and writes block,
// and must never hold a CAF scheduler thread.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <rocksdb/iterator.h>

#include "actors/interfaces.hpp"
#include "actors/memory_options.hpp"
#include "runtime/metrics/instrumented.hpp"
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
  /// Last sequence number per session key prefix, loaded on first use.
  std::map<std::string, uint64_t> last_seq;

  caf::expected<v1::MemoryPutResponse> put(const v1::MemoryPutRequest& req);
  caf::expected<v1::MemoryGetResponse> get(const v1::MemoryGetRequest& req);
  caf::expected<v1::MemoryDeleteResponse>
  erase(const v1::MemoryDeleteRequest& req);
  caf::expected<v1::MemoryListResponse> list(const v1::MemoryListRequest& req);
  caf::expected<v1::SessionAppendResponse>
  append(const v1::SessionAppendRequest& req);
  caf::expected<v1::SessionReadResponse>
  read(const v1::SessionReadRequest& req);

  /// The writes that the envelopes of `req` cause, none made: puts,
  /// deletes and session appends (numbered after every turn stored or
  /// handed out before); reads cause none. An envelope that can never
  /// succeed is refused; an error (a failed read of the store) refuses
  /// the whole batch. A sequence number handed out in a batch that is
  /// then not committed is skipped, never reused.
  caf::expected<v1::EffectResponse> effects(const v1::EffectRequest& req);

private:
  caf::expected<memory_write> put_write(const v1::MemoryPutRequest& req) const;
  caf::expected<memory_write>
  delete_write(const v1::MemoryDeleteRequest& req) const;
  /// The next turn of a session: its write, its number and the session's
  /// key prefix (last_seq is left as it was).
  struct planned_turn {
    memory_write write;
    uint64_t seq = 0;
    std::string session;
  };
  caf::expected<planned_turn> next_turn(const v1::SessionAppendRequest& req);
  /// The writes of one envelope.
  caf::expected<std::vector<memory_write>>
  effect_of(const v1::Envelope& envelope);

  std::unique_ptr<rocksdb::Iterator> iterator() const;
  caf::error check_key(const std::string& agent, const std::string& key) const;
  caf::expected<uint64_t> last_seq_of(const std::string& session_prefix);
};

using memory_pointer = caf::stateful_actor<
  memory_state,
  typed_actor_base<
    caf::replies_to<v1::MemoryPutRequest>::with<v1::MemoryPutResponse>,
    caf::replies_to<v1::MemoryGetRequest>::with<v1::MemoryGetResponse>,
    caf::replies_to<v1::MemoryDeleteRequest>::with<v1::MemoryDeleteResponse>,
    caf::replies_to<v1::MemoryListRequest>::with<v1::MemoryListResponse>,
    caf::replies_to<v1::SessionAppendRequest>::with<v1::SessionAppendResponse>,
    caf::replies_to<v1::SessionReadRequest>::with<v1::SessionReadResponse>,
    caf::replies_to<v1::EffectRequest>::with<v1::EffectResponse>>>*;

/// Spawn with `sys.spawn<caf::detached>(memory, &db, limits)`.
memory_actor::behavior_type memory(memory_pointer self, store* db,
                                   memory_options limits);

} // namespace bsm
