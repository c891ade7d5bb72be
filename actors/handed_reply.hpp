#pragma once

// A request's answer taken out of an actor's response promise, so that
// another thread (the store writer's completion) can deliver it. The actor
// hands it over and never touches it again; exactly one thread owns it.
//
// Why not deliver the caf::response_promise itself off the actor: in CAF
// 0.17.6 its deliver() reads the actor's current execution unit and enqueues
// the requester there, which races with the actor and skips waking a
// sleeping worker. This one enqueues as any message from outside the actor
// system does (no execution unit), so the scheduler wakes a worker.

#include <vector>

#include <caf/actor_control_block.hpp>
#include <caf/error.hpp>
#include <caf/message.hpp>
#include <caf/message_id.hpp>
#include <caf/typed_response_promise.hpp>

namespace bsm {

class handed_reply {
public:
  /// An empty reply: delivering it does nothing.
  handed_reply() = default;

  /// Takes the requester out of `rp`, made by the actor `self` for the
  /// request it is handling; `rp` must not be used any more.
  template <class... Ts>
  handed_reply(caf::strong_actor_ptr self,
               caf::typed_response_promise<Ts...>& rp)
    : handed_reply(std::move(self), static_cast<caf::response_promise&>(rp)) {}

  handed_reply(caf::strong_actor_ptr self, caf::response_promise& rp);

  handed_reply(handed_reply&&) = default;
  handed_reply& operator=(handed_reply&&) = default;
  handed_reply(const handed_reply&) = delete;
  handed_reply& operator=(const handed_reply&) = delete;

  /// True until delivered (and if there was a requester at all).
  bool pending() const noexcept {
    return source_ != nullptr || !stages_.empty();
  }

  /// Answers the requester with `x` (a value or an error); once. Any thread.
  template <class T>
  void deliver(T&& x) {
    deliver_message(caf::make_message(std::forward<T>(x)));
  }

private:
  void deliver_message(caf::message msg);

  caf::strong_actor_ptr self_;
  caf::strong_actor_ptr source_;
  std::vector<caf::strong_actor_ptr> stages_;
  caf::message_id id_;
};

} // namespace bsm
