#pragma once

// `instrumented<Base>` adds per-actor statistics to any CAF scheduled actor
// type (event_based_actor, typed_event_based_actor<...>, stateful_actor):
// it overrides `resume` and `consume`, the two virtual hooks CAF 0.17 offers
// (Debian's CAF is built without the actor profiler). Actors of the runtime
// derive from it through the aliases at the end of this file.

#include <chrono>
#include <memory>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "runtime/logging/unexpected_message.hpp"
#include "runtime/metrics/actor_stats.hpp"
#include "runtime/system_config.hpp"

namespace bsm {

template <class Base>
class instrumented : public Base {
public:
  using Base::Base;

  ~instrumented() override {
    if (stats_)
      stats_->retire();
  }

  caf::resumable::resume_result resume(caf::execution_unit* ctx,
                                       size_t max_throughput) override {
    if (!attached_)
      attach();
    // Safe here: at the start of a run this thread owns the mailbox.
    if (stats_)
      stats_->set_mailbox_depth(this->mailbox().size());
    return Base::resume(ctx, max_throughput);
  }

  caf::invoke_message_result consume(caf::mailbox_element& x) override {
    if (!stats_)
      return Base::consume(x);
    // Every message is counted; one in `sample_every` is timed, because a
    // clock read costs more than CAF's whole dispatch of a small message.
    if (--until_sample_ > 0) {
      auto result = Base::consume(x);
      if (result == caf::invoke_message_result::consumed)
        stats_->count();
      return result;
    }
    until_sample_ = metrics::actor_stats::sample_every;
    auto start = clock::now();
    auto result = Base::consume(x);
    // Skipped messages come back later; dropped ones (stale timeouts) are
    // CAF's bookkeeping, not work.
    if (result == caf::invoke_message_result::consumed)
      stats_->record(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now()
                                                             - start)
          .count()));
    return result;
  }

private:
  using clock = std::chrono::steady_clock;

  // At the first run, before CAF makes the behavior (which may set a
  // default handler of its own).
  void attach() {
    attached_ = true;
    auto cfg
      = dynamic_cast<const system_config*>(&this->home_system().config());
    if (cfg == nullptr)
      return;
    if (cfg->stats_collector() != nullptr)
      stats_ = cfg->stats_collector()->attach(this->name());
    if (cfg->log())
      this->set_default_handler(
        log_unexpected_messages(cfg->log(), this->name()));
  }

  bool attached_ = false;
  std::shared_ptr<metrics::actor_stats> stats_;
  uint32_t until_sample_ = 1;
};

/// A dynamically typed actor with statistics.
using actor_base = instrumented<caf::event_based_actor>;

/// A stateful dynamically typed actor with statistics; the `actor` label of
/// its metrics is `State::name`.
template <class State>
using stateful_actor = caf::stateful_actor<State, actor_base>;

/// A typed actor with statistics.
template <class... Sigs>
using typed_actor_base = instrumented<caf::typed_event_based_actor<Sigs...>>;

} // namespace bsm
