#pragma once

// Waiting in tests for an actor to terminate: monitor it from a scoped
// actor and wait for the down message up to the generous deadline (an
// actor that is gone already answers at once).

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "tests/common/poll.hpp"

namespace bsm::test {

/// True once `handle` terminated, false if it still runs at the deadline.
template <class Handle>
[[nodiscard]] bool terminates(caf::actor_system& sys, const Handle& handle) {
  caf::scoped_actor self{sys};
  self->monitor(handle);
  bool down = false;
  self->receive([&](caf::down_msg&) { down = true; },
                caf::after(generous_deadline) >> [] {});
  return down;
}

} // namespace bsm::test
