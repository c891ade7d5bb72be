#pragma once

// Requests whose timeouts cost no CAF clock entry each. CAF 0.17 keeps a
// request's timeout in its clock until it fires, answered or not: on a hot
// path that is memory growing with rate x timeout and a busy clock thread.
// Here a request goes out with caf::infinite, its deadline waits in the
// actor's deadline_set, and one `atom::deadline` timer message per actor
// (armed for the earliest deadline) checks them.
//
// When a deadline passes, the actor sends itself the error
// caf::sec::request_timeout as the response to that request, exactly as
// CAF's own clock does: CAF runs the error handler once and drops the
// handler, so nothing is left behind even if the target never answers. An
// answer that comes later finds no handler and is dropped by CAF; one that
// comes first settles the request and removes its deadline.
//
// Usage, in an actor whose state holds a `request_deadlines deadlines`
// and whose behavior has
// `[self](atom::deadline) { self->state.deadlines.on_timer(self); }`
// (typed actors list caf::reacts_to<atom::deadline>):
//
//   timed_request(self, self->state.deadlines, dest, timeout, msg)
//     .then([](v1::PingResponse& r) { ... }, [](caf::error& e) { ... });

#include <chrono>
#include <cstdint>
#include <utility>

#include <caf/detail/type_traits.hpp>
#include <caf/error.hpp>
#include <caf/message_id.hpp>
#include <caf/sec.hpp>

#include "protocols/caf_types.hpp"
#include "runtime/timing/deadline_set.hpp"

namespace bsm {

/// The deadlines of one actor's timed requests. Lives in the actor's state;
/// every member runs on the actor's thread. Time is the actor system's
/// clock (CAF's deterministic test coordinator makes it virtual).
class request_deadlines {
public:
  /// Fails the request whose response handle has the id `mid` (sent with
  /// caf::infinite) with sec::request_timeout once `timeout` has passed,
  /// unless settle(mid) comes first.
  template <class Self>
  void watch(Self* self, caf::message_id mid,
             std::chrono::nanoseconds timeout) {
    auto now = self->home_system().clock().now();
    auto due = now + std::max(timeout, std::chrono::nanoseconds::zero());
    if (set_.add(mid.integer_value(), due))
      arm(self, due - now);
  }

  /// The request `mid` was answered (or failed otherwise): forget its
  /// deadline.
  void settle(caf::message_id mid) {
    set_.remove(mid.integer_value());
  }

  /// Handles one `atom::deadline` timer message: each request past its
  /// deadline gets sec::request_timeout as its response; the timer is armed
  /// again for the next deadline.
  template <class Self>
  void on_timer(Self* self) {
    auto now = self->home_system().clock().now();
    for (auto id : set_.expired(now)) {
      // The id's bits unchanged (the "high priority" maker adds none); a
      // response handle's id is the response id already.
      auto mid
        = caf::make_message_id(caf::high_message_priority_constant{}, id);
      if (mid.is_request())
        mid = mid.response_id();
      self->eq_impl(mid, self->ctrl(), self->context(),
                    caf::make_error(caf::sec::request_timeout));
    }
    if (auto due = set_.rearm())
      arm(self, *due - now);
  }

  /// The pending deadlines and armed timers.
  const timing::deadline_set& pending() const noexcept {
    return set_;
  }

private:
  template <class Self>
  static void arm(Self* self, std::chrono::nanoseconds delay) {
    self->delayed_send(self, std::max(delay, std::chrono::nanoseconds::zero()),
                       atom::deadline::value);
  }

  timing::deadline_set set_;
};

namespace detail {

/// A response handler that settles its request before running `f`; keeps
/// the exact signature of `f`, which CAF checks against the reply type.
template <class F,
          class Args = typename caf::detail::get_callable_trait<F>::arg_types>
struct settling;

template <class F, class... Ts>
struct settling<F, caf::detail::type_list<Ts...>> {
  request_deadlines* deadlines;
  caf::message_id mid;
  F f;

  void operator()(Ts... xs) {
    deadlines->settle(mid);
    f(std::forward<Ts>(xs)...);
  }
};

template <class F>
settling<F> settle_then(request_deadlines& d, caf::message_id mid, F f) {
  return settling<F>{&d, mid, std::move(f)};
}

} // namespace detail

/// A request sent by timed_request(): `then` as on CAF's response handle.
template <class Handle>
class timed_response {
public:
  timed_response(Handle handle, request_deadlines& deadlines,
                 std::chrono::nanoseconds timeout)
    : handle_(std::move(handle)), deadlines_(deadlines), timeout_(timeout) {}

  /// Exactly one of the handlers runs: `on_error` with
  /// sec::request_timeout if no answer came in time.
  template <class F, class OnError>
  void then(F on_response, OnError on_error) {
    auto mid = handle_.id();
    handle_.then(detail::settle_then(deadlines_, mid, std::move(on_response)),
                 detail::settle_then(deadlines_, mid, std::move(on_error)));
    deadlines_.watch(handle_.self(), mid, timeout_);
  }

private:
  Handle handle_;
  request_deadlines& deadlines_;
  std::chrono::nanoseconds timeout_;
};

/// `self->request(dest, timeout, xs...)`, but timed by `deadlines` instead
/// of a CAF clock entry per request.
template <class Self, class Dest, class... Ts>
auto timed_request(Self* self, request_deadlines& deadlines, const Dest& dest,
                   std::chrono::nanoseconds timeout, Ts&&... xs) {
  auto handle = self->request(dest, caf::infinite, std::forward<Ts>(xs)...);
  return timed_response<decltype(handle)>{std::move(handle), deadlines,
                                          timeout};
}

} // namespace bsm
