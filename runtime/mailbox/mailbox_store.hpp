#pragma once

// How durable mailboxes lie in the store, and the blocking reads and the
// batch edits over them. Only the mailbox actors (through the store
// writer) and the mailbox reader (a detached actor) call these.
//
// Layout (`target` is a registered path, so it never contains NUL):
//   mailbox      target NUL seq(8 bytes BE)  -> Envelope
//   meta         "mailbox.seq" NUL target    -> next seq (8 bytes BE)
//   idempotency  target NUL key              -> expiring IdempotencyRecord
//   dead_letter  target NUL seq(8 bytes BE)  -> DeadLetter
// The meta counter is written with every append, so sequence numbers never
// go backwards, also after every envelope was acknowledged or purged.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>
#include <rocksdb/status.h>
#include <rocksdb/write_batch.h>

#include "protocols/caf_types.hpp"
#include "runtime/store/store.hpp"

namespace bsm::mailbox {

std::string envelope_key(std::string_view target, uint64_t seq);

/// Splits an envelope (or dead letter) key; nothing for a malformed key.
std::optional<std::pair<std::string_view, uint64_t>>
parse_envelope_key(std::string_view key);

std::string seq_key(std::string_view target);

/// Longest idempotency key a send may carry, in bytes; the HTTP bridge's
/// Idempotency-Key header has the same bound. Keys are part of a store key.
inline constexpr size_t max_idempotency_key_bytes = 255;

std::string idempotency_key(std::string_view target, std::string_view key);

// -- batch edits (inside a store_writer fill) --------------------------------

/// Puts the serialised envelope at `seq` and advances the counter.
rocksdb::Status add_append(store& db, rocksdb::WriteBatch& batch,
                           std::string_view target, uint64_t seq,
                           std::string_view envelope_bytes);

/// Rewrites the pending envelope at `seq` (a new delivery count).
rocksdb::Status add_update(store& db, rocksdb::WriteBatch& batch,
                           std::string_view target, uint64_t seq,
                           std::string_view envelope_bytes);

/// Remembers `key` for `target` until `expires_unix_ms`.
rocksdb::Status add_idempotency(store& db, rocksdb::WriteBatch& batch,
                                std::string_view target, std::string_view key,
                                const v1::IdempotencyRecord& record,
                                int64_t expires_unix_ms);

/// Removes the envelope at `seq` (acknowledged).
rocksdb::Status add_ack(store& db, rocksdb::WriteBatch& batch,
                        std::string_view target, uint64_t seq);

/// Removes every pending envelope of `target` (an operator's purge, while
/// no mailbox actor runs for it). The counter stays: numbers go on from it.
rocksdb::Status add_purge(store& db, rocksdb::WriteBatch& batch,
                          std::string_view target);

/// Moves the envelope at `letter.seq()` to dead letters.
rocksdb::Status add_dead_letter(store& db, rocksdb::WriteBatch& batch,
                                std::string_view target,
                                const v1::DeadLetter& letter);

// -- blocking reads -----------------------------------------------------------

/// The record of a live (not expired) idempotency key, if any.
caf::expected<std::optional<v1::IdempotencyRecord>>
find_idempotency(const store& db, std::string_view target, std::string_view key,
                 int64_t now_unix_ms);

/// Where `target`'s mailbox stands: next seq and lowest pending seq.
caf::expected<v1::MailboxOpenResponse> open(const store& db,
                                            std::string_view target);

/// Pending envelopes in [from_seq, to_seq), at most max_entries, in order.
/// An entry that does not parse is moved to dead letters (and counted in
/// `corrupt`), so one damaged record never blocks a mailbox.
caf::expected<v1::MailboxReadResponse> read(store& db,
                                            const v1::MailboxReadRequest& req);

/// Every target with at least one pending envelope, in key order. Skips
/// from target to target, so it costs one seek per target, not per
/// envelope.
caf::expected<std::vector<std::string>> pending_targets(const store& db);

/// Dead letters of `target`, oldest first, at most `max`.
caf::expected<std::vector<v1::DeadLetter>>
dead_letters(const store& db, std::string_view target, size_t max);

} // namespace bsm::mailbox
