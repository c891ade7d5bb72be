#pragma once

// An outbox: the durable mailbox under the target "@link/<peer>" (no
// registered path starts with '@') that holds durable sends to names
// another node owns. A thin adapter between the actor system and its
// decisions (runtime/mailbox/link_window.hpp): sends are appended and
// answered once durable (actors/mailbox_core.hpp), then delivered to the
// peer's cluster port in batches (LinkBatch, link_seq = the outbox's seq)
// while the peer is up (or suspect) and connected; the peer's LinkAck
// acknowledges a prefix. Unacknowledged entries are sent again, for as long
// as it takes (the peer dedups them by idempotency key), so they are
// delivered once and in order.

#include <string>

#include "actors/interfaces.hpp"
#include "actors/mailbox_core.hpp"
#include "runtime/mailbox/link_window.hpp"

namespace bsm {

struct outbox_state {
  static constexpr const char* name = "outbox";

  mailbox_core core;
  mailbox::link_window window;
  std::string peer;
};

using outbox_pointer = caf::stateful_actor<outbox_state, mailbox_base>*;

/// The decisions' tunables, from the config (mailbox_options).
mailbox::link_options link_options_of(const mailbox_env& env);

/// Spawned by the mailbox router for the target `outbox_target(peer)`.
/// REQUIRES: `env.directory` is set. Stops when `router` stops.
mailbox_actor::behavior_type outbox(outbox_pointer self, mailbox_env env,
                                    std::string peer,
                                    mailbox_reader_actor reader,
                                    caf::actor_addr router);

} // namespace bsm
