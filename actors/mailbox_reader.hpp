#pragma once

// Reads durable mailboxes from the store for the mailbox actors, and the
// dead letters for the HTTP API (through the router), which it also deletes. It
// runs detached (its own thread): RocksDB reads block and must never hold a CAF
// scheduler thread.

#include "actors/interfaces.hpp"
#include "runtime/metrics/instrumented.hpp"
#include "runtime/store/store.hpp"

namespace bsm {

struct mailbox_reader_state {
  static constexpr const char* name = "mailbox_reader";
};

using mailbox_reader_pointer = caf::stateful_actor<
  mailbox_reader_state,
  typed_actor_base<
    caf::replies_to<v1::MailboxOpenRequest>::with<v1::MailboxOpenResponse>,
    caf::replies_to<v1::MailboxReadRequest>::with<v1::MailboxReadResponse>,
    caf::replies_to<v1::MailboxTargetsRequest>::with<
      v1::MailboxTargetsResponse>,
    caf::replies_to<v1::DeadLetterListRequest>::with<
      v1::DeadLetterListResponse>,
    caf::replies_to<v1::DeadLetterGetRequest>::with<v1::DeadLetterEntry>,
    caf::replies_to<v1::DeadLetterDeleteRequest>::with<
      v1::DeadLetterDeleteResponse>,
    caf::replies_to<v1::DeadLetterPurgeRequest>::with<
      v1::DeadLetterPurgeResponse>>>*;

/// Spawn with `spawn<caf::detached>(mailbox_reader, &db)`.
/// REQUIRES: `db` outlives the actor.
mailbox_reader_actor::behavior_type mailbox_reader(mailbox_reader_pointer self,
                                                   store* db);

} // namespace bsm
