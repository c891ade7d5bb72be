#pragma once

// The durable mailboxes of local targets, readable from any thread, so the
// HTTP bridge and actors' send_durable (actors/durable_send.hpp) can hand a
// send straight to a target's mailbox instead of asking the mailbox router
// first. The router publishes a mailbox when it
// spawns it and withdraws it when the mailbox stops; a target not listed
// (unknown, remote, or not sent to yet) goes through the router.

#include <shared_mutex>
#include <string>
#include <unordered_map>

#include <caf/actor_addr.hpp>
#include <caf/actor_control_block.hpp>

namespace bsm {

/// Thread-safe.
class local_mailboxes {
public:
  /// Lists `box` as the mailbox of `target`, replacing any earlier one.
  void publish(const std::string& target, caf::actor_addr box);

  /// Removes `target` if `box` is still its mailbox (a newer one stays).
  void withdraw(const std::string& target, const caf::actor_addr& box);

  /// The mailbox of `target`; null if none is listed or it is gone.
  caf::strong_actor_ptr find(const std::string& target) const;

  size_t size() const;

private:
  mutable std::shared_mutex mtx_;
  /// Weak: a listing never keeps a mailbox alive.
  std::unordered_map<std::string, caf::actor_addr> boxes_;
};

} // namespace bsm
