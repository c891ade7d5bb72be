#pragma once

// One target's durable mailbox: a thin adapter between the actor system
// and its decisions (runtime/mailbox/delivery_queue.hpp). Sends are
// appended and answered once durable (actors/mailbox_core.hpp); then
// envelopes are delivered to the actor registered under the target path
// in sequence order, one request each, up to `mailbox.delivery_window` in
// flight, and acknowledged (deleted, many in one write) once the handler
// has answered each up to them, also later through a response promise
// (go-back-N after a failure, see delivery_queue.hpp). A store-backed target
// (memory) instead gets batches of up to `mailbox.max_batch` envelopes as one
// EffectRequest and answers with the writes they cause; the mailbox commits
// those with the batch's removal in one atomic write, so each effect exists
// exactly once. A failed delivery (error reply, crash of the target, timeout)
// is repeated after a backoff until `max_deliveries`, then the envelope moves
// to dead letters and the next one follows.
//
// Memory stays bounded: at most `window` envelopes are held in memory; the
// rest wait on disk and are paged in by the mailbox reader, which is also
// how a mailbox recovers after a restart.

#include <string>

#include "actors/interfaces.hpp"
#include "actors/mailbox_core.hpp"
#include "runtime/mailbox/delivery_queue.hpp"

namespace bsm {

struct mailbox_state {
  static constexpr const char* name = "mailbox";

  mailbox_core core;
  mailbox::delivery_queue queue;
  /// The target actor watched during deliveries.
  caf::actor_addr monitored;
  /// The target answers EffectRequest (mailbox_env::store_backed).
  bool store_backed = false;
};

using mailbox_pointer = caf::stateful_actor<mailbox_state, mailbox_base>*;

/// The decisions' tunables for the mailbox of `target`, from the config
/// (mailbox_options).
mailbox::delivery_options delivery_options_of(const mailbox_env& env,
                                              const std::string& target);

/// Spawned by the mailbox router for a local target. Stops when `router`
/// stops.
mailbox_actor::behavior_type
durable_mailbox(mailbox_pointer self, mailbox_env env, std::string target,
                mailbox_reader_actor reader, caf::actor_addr router);

} // namespace bsm
