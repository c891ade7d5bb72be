#pragma once

// What an actor does with a message none of its handlers takes. CAF's own
// default prints "*** unexpected message ..." to standard output, outside
// the node's logger; this one logs a warning through the logger instead
// (component: the actor's name) and, like CAF's, answers a request with
// `caf::sec::unexpected_message`. It names the message's types and never
// its content, which may hold a secret.

#include <memory>
#include <string>

#include <caf/scheduled_actor.hpp>
#include <spdlog/logger.h>

namespace bsm {

/// The line for a message of `types` (as "bsm.v1.PingRequest, ...") that
/// the actor `actor_id` did not handle.
std::string unexpected_message_text(uint64_t actor_id,
                                    const std::string& types);

/// A default handler logging through a clone of `log` named
/// "<log's name>:<component>" (json_formatter shows it as `component`).
caf::scheduled_actor::default_handler
log_unexpected_messages(std::shared_ptr<spdlog::logger> log,
                        std::string component);

} // namespace bsm
