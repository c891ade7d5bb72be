#pragma once

// The node's durable send. Validates an envelope (target path, known type,
// payload that parses, size, id) and delegates it to the target's mailbox,
// spawning the mailbox on first use. At start it spawns a mailbox for every
// target with envelopes left on disk, so they are delivered again without
// waiting for a new send. A mailbox that crashed is spawned again by the
// next send to its target (it recovers from disk), and the router's own
// restart recovers every mailbox. The mailboxes and the reader stop with the
// router. A graceful stop (MailboxDrainRequest) goes to every mailbox and
// outbox, and to each one started later; the router answers once all have
// drained or at the request's timeout. A local target's mailbox is listed in
// env.locals while it runs, so the HTTP bridge and send_durable
// (actors/durable_send.hpp) can send to it without asking the router.

#include <optional>
#include <string>
#include <unordered_map>

#include "actors/interfaces.hpp"
#include "actors/mailbox_core.hpp"

namespace bsm {

/// Whether check_envelope parses the payload: skip only when the caller
/// has parsed it already (the HTTP bridge, from the request body).
enum class payload_check { decode, already_decoded };

/// What the router checks before an envelope may be appended: a valid
/// target path, a known type, a payload that parses, the size limits.
/// Errors: invalid_argument, resource_exhausted, or the decoder's.
[[nodiscard]] caf::error check_envelope(const type_registry& types,
                                        size_t max_envelope_bytes,
                                        const v1::Envelope& x,
                                        payload_check payload);

struct mailbox_router_state {
  static constexpr const char* name = "mailbox_router";

  mailbox_env env;
  mailbox_reader_actor reader;
  std::unordered_map<std::string, mailbox_actor> boxes;
  std::unordered_map<caf::actor_addr, std::string> targets;
  /// Set by a graceful stop: every mailbox, a new one too, is draining.
  std::optional<v1::MailboxDrainRequest> draining;
};

using mailbox_router_pointer = caf::stateful_actor<
  mailbox_router_state,
  typed_actor_base<
    caf::replies_to<v1::SendRequest>::with<v1::SendResponse>,
    caf::replies_to<v1::MailboxDrainRequest>::with<v1::MailboxDrainResponse>,
    caf::replies_to<v1::DeadLetterListRequest>::with<
      v1::DeadLetterListResponse>,
    caf::replies_to<v1::DeadLetterGetRequest>::with<v1::DeadLetterEntry>,
    caf::replies_to<v1::DeadLetterDeleteRequest>::with<
      v1::DeadLetterDeleteResponse>,
    caf::replies_to<v1::DeadLetterPurgeRequest>::with<
      v1::DeadLetterPurgeResponse>>>*;

mailbox_router_actor::behavior_type mailbox_router(mailbox_router_pointer self,
                                                   mailbox_env env);

} // namespace bsm
