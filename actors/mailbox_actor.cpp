#include "actors/mailbox_actor.hpp"

#include "actors/cluster_ingress.hpp"
#include "actors/memory_partition.hpp"
#include "runtime/error.hpp"

namespace bsm {

namespace {

using kind = mailbox::delivery_outcome::kind;

// A chat turn learns which envelope it is, the same at every delivery of
// it, so that a repeated delivery does not append its turns twice
// (ChatRequest.delivery_id).
void stamp_delivery(caf::message& msg, const v1::Envelope& envelope) {
  if (msg.match_elements<v1::ChatRequest>())
    msg.get_mutable_as<v1::ChatRequest>(0).set_delivery_id(envelope.id());
}

class mailbox_logic {
public:
  explicit mailbox_logic(mailbox_pointer self)
    : self_(self), core_(self->state.core), queue_(self->state.queue) {}

  void try_deliver();
  void answered(uint64_t token, const caf::error& err);
  void effects_answered(uint64_t token, const v1::EffectResponse& effects);
  void down(const caf::down_msg& msg);
  void check_timeout();
  void begin_drain();

private:
  /// What this node's decommission asks of the next delivery: nothing
  /// (deliver here), wait (it hands its state over), or forward (it left
  /// and `e` is another node's now); the router to forward through.
  enum class departure_step { deliver, wait, forward };
  departure_step on_departure(const mailbox::entry& e, caf::actor& router);
  /// Sends `e` (or the batch) on to its owner through the router: a durable
  /// append to the outbox, answered like a delivery.
  void forward(mailbox::entry e, const caf::actor& router);
  void forward_batch(const caf::actor& router);
  void flush_acks();
  /// Now, on the actor clock; arms the delivery timeout.
  mailbox::delivery_queue::time_point started();
  void deliver(mailbox::entry e, const caf::actor& handle);
  void deliver_batch(const caf::actor& handle);
  void apply(mailbox::delivery_outcome out);
  void watch(const caf::actor& handle);

  mailbox_pointer self_;
  mailbox_core& core_;
  mailbox::delivery_queue& queue_;
};

void mailbox_logic::try_deliver() {
  auto& pending = queue_.pending();
  while (core_.may_deliver() && queue_.may_start()) {
    if (pending.empty()) {
      core_.maybe_read();
      break;
    }
    caf::actor router;
    auto step = on_departure(pending.front(), router);
    if (step == departure_step::wait) {
      core_.wait_then_deliver(queue_.backoff());
      break;
    }
    if (step == departure_step::forward) {
      if (self_->state.store_backed) {
        forward_batch(router);
      } else {
        auto e = queue_.take_next();
        core_.maybe_read();
        forward(std::move(e), router);
      }
      continue;
    }
    if (const auto* dir = core_.env().directory.get();
        dir && !dir->may_serve_locally(core_.target())) {
      // A placed name while this node is still joining: its owner may be
      // another member, so it waits here rather than run on this node.
      core_.wait_then_deliver(queue_.backoff());
      break;
    }
    auto handle = core_.env().names->get(core_.target());
    if (!handle) {
      // Not started yet, or restarting: look again after a while.
      core_.wait_then_deliver(queue_.backoff());
      break;
    }
    if (queue_.in_flight() && self_->state.monitored != handle->address())
      // A new incarnation of the target: the window to the old one ends
      // first (answers, or its down message while it is still watched).
      break;
    if (auto head = queue_.recount_head()) {
      if (!head->dead) {
        core_.rewrite_then_deliver(head->e);
        break;
      }
      auto err = make_error(errc::aborted,
                            "the node stopped during each of "
                              + std::to_string(head->e.envelope.attempt())
                              + " deliveries");
      core_.bury(std::move(head->e), err);
      continue;
    }
    if (self_->state.store_backed) {
      deliver_batch(*handle);
      continue;
    }
    auto e = queue_.take_next();
    core_.maybe_read();
    deliver(std::move(e), *handle);
  }
  flush_acks();
}

mailbox_logic::departure_step
mailbox_logic::on_departure(const mailbox::entry& e, caf::actor& router) {
  const auto* dir = core_.env().directory.get();
  if (!dir || dir->role() == cluster::self_role::member)
    return departure_step::deliver;
  // While the state is copied nothing may change it here.
  if (dir->role() == cluster::self_role::handing_off)
    return departure_step::wait;
  const auto& envelope = e.envelope;
  auto partition = memory_partition(core_.target(), envelope.type_name(),
                                    envelope.payload());
  if (!partition && !dir->placement_of(core_.target()))
    return departure_step::deliver;
  auto owner = resolve_request(*dir, core_.target(), partition);
  if (owner && owner->local)
    return departure_step::deliver;
  auto handle = core_.env().names->get(mailbox_router_path);
  if (!owner || !handle)
    return departure_step::wait;
  router = *handle;
  return departure_step::forward;
}

void mailbox_logic::forward(mailbox::entry e, const caf::actor& router) {
  v1::SendRequest req;
  *req.mutable_envelope() = e.envelope;
  watch(router);
  auto token = queue_.start(std::move(e), started());
  self_
    ->request(caf::actor_cast<mailbox_router_actor>(router), caf::infinite,
              std::move(req))
    .then([self = self_, token](
            v1::SendResponse&) { mailbox_logic{self}.answered(token, {}); },
          [self = self_, token](caf::error& err) {
            mailbox_logic{self}.answered(token, err);
          });
}

// A store-backed batch is removed by its commit: forwarded whole, it
// commits no writes once every envelope is in an outbox (one that fails
// sends the batch again; the receivers drop the duplicates by key).
void mailbox_logic::forward_batch(const caf::actor& router) {
  struct tally {
    size_t waiting = 0;
    bool failed = false;
  };
  auto batch = queue_.take_batch();
  core_.maybe_read();
  std::vector<v1::Envelope> envelopes;
  for (const auto& e : batch)
    envelopes.push_back(e.envelope);
  watch(router);
  auto token = queue_.start(std::move(batch), started());
  auto count = std::make_shared<tally>();
  count->waiting = envelopes.size();
  for (auto& envelope : envelopes) {
    v1::SendRequest req;
    *req.mutable_envelope() = std::move(envelope);
    self_
      ->request(caf::actor_cast<mailbox_router_actor>(router), caf::infinite,
                std::move(req))
      .then(
        [self = self_, token, count](v1::SendResponse&) {
          if (--count->waiting == 0 && !count->failed)
            mailbox_logic{self}.effects_answered(token, v1::EffectResponse{});
        },
        [self = self_, token, count](caf::error& err) {
          --count->waiting;
          if (count->failed)
            return;
          count->failed = true;
          mailbox_logic{self}.answered(token, err);
        });
  }
}

// The window's acknowledgements go to the store writer in one write once
// the window emptied or a window's worth is collected, not one per answer.
// Until then a crash delivers them again, which at-least-once allows.
void mailbox_logic::flush_acks() {
  if (queue_.acks_due())
    core_.acknowledge(queue_.take_acks());
}

// A store-backed handler gets a batch and answers with its effects, which
// are committed with the batch's removal before the next delivery: the
// handler's view (a session's last turn number) runs ahead of the store by
// one uncommitted batch at most, and a crash leaves each effect once or
// not at all.
void mailbox_logic::deliver_batch(const caf::actor& handle) {
  auto batch = queue_.take_batch();
  core_.maybe_read();
  v1::EffectRequest req;
  req.set_target(core_.target());
  for (const auto& e : batch) {
    auto* x = req.add_entries();
    x->set_seq(e.seq);
    *x->mutable_envelope() = e.envelope;
  }
  watch(handle);
  core_.env().metrics->deliveries.inc(batch.size());
  auto token = queue_.start(std::move(batch), started());
  self_->request(handle, caf::infinite, std::move(req))
    .then(
      [self = self_, token](v1::EffectResponse& effects) {
        mailbox_logic{self}.effects_answered(token, effects);
      },
      [self = self_, token](caf::error& err) {
        mailbox_logic{self}.answered(token, err);
      });
}

void mailbox_logic::effects_answered(uint64_t token,
                                     const v1::EffectResponse& effects) {
  if (!queue_.committing(token))
    return;
  core_.commit_effects(token, queue_.in_flight_batch(), effects);
}

void mailbox_logic::deliver(mailbox::entry e, const caf::actor& handle) {
  auto msg
    = core_.env().types->decode(e.envelope.type_name(), e.envelope.payload());
  if (!msg) {
    queue_.dropped();
    core_.bury(std::move(e), msg.error(), v1::DEAD_LETTER_REASON_CORRUPT);
    return;
  }
  stamp_delivery(*msg, e.envelope);
  watch(handle);
  auto token = queue_.start(std::move(e), started());
  core_.env().metrics->deliveries.inc();
  self_->request(handle, caf::infinite, std::move(*msg))
    .then([self = self_, token]() { mailbox_logic{self}.answered(token, {}); },
          [self = self_, token](caf::error& err) {
            mailbox_logic{self}.answered(token, err);
          });
}

// CAF 0.17 keeps a request's timeout in its clock until it fires, answered
// or not: with delivery_timeout (minutes) that is one entry per delivery,
// memory that grows with the delivery rate. Deliveries therefore have no
// CAF timeout; one timer per mailbox checks the oldest delivery in flight,
// whose deadline comes first.
mailbox::delivery_queue::time_point mailbox_logic::started() {
  core_.arm_tick(core_.env().opts.delivery_timeout);
  return self_->home_system().clock().now();
}

void mailbox_logic::check_timeout() {
  auto oldest = queue_.oldest_started();
  if (!oldest) {
    flush_acks();
    return;
  }
  auto deadline = *oldest + core_.env().opts.delivery_timeout;
  auto now = self_->home_system().clock().now();
  if (now < deadline) {
    core_.arm_tick(deadline - now);
    return;
  }
  apply(queue_.failed(caf::sec::request_timeout));
}

void mailbox_logic::watch(const caf::actor& handle) {
  auto& monitored = self_->state.monitored;
  if (monitored == handle.address())
    return;
  if (monitored)
    self_->demonitor(monitored);
  self_->monitor(handle);
  monitored = handle.address();
}

void mailbox_logic::answered(uint64_t token, const caf::error& err) {
  apply(queue_.answered(token, err));
}

// A store-backed delivery's removal was part of its commit; a window's
// removals are collected in the queue (flush_acks).
void mailbox_logic::apply(mailbox::delivery_outcome out) {
  switch (out.what) {
    case kind::stale:
    case kind::waiting: return;
    case kind::acknowledged: break;
    case kind::dead_letter: core_.bury(std::move(out.e), out.error); break;
    case kind::redeliver:
      core_.env().metrics->redeliveries.inc();
      core_.env().log->warn(
        "mailbox {}: delivery {} of {} failed: {}; retrying in {}ms",
        core_.target(), out.e.envelope.attempt(), out.e.envelope.id(),
        render(out.error), out.delay.count());
      core_.rewrite(out.e);
      core_.wait_then_deliver(out.delay);
      flush_acks();
      core_.check_drained();
      return;
  }
  try_deliver();
  core_.sync_depth();
  core_.check_drained();
}

// No delivery starts from now on; the window's removals go to the writer
// now rather than with a later answer.
void mailbox_logic::begin_drain() {
  queue_.drain();
  if (!queue_.in_flight())
    core_.acknowledge(queue_.take_acks());
}

void mailbox_logic::down(const caf::down_msg& msg) {
  if (core_.router_down(msg))
    return;
  auto& monitored = self_->state.monitored;
  if (msg.source != monitored)
    return;
  monitored = caf::actor_addr{};
  if (!queue_.in_flight())
    return;
  apply(queue_.failed(
    msg.reason
      ? msg.reason
      : make_error(errc::unavailable,
                   "'" + core_.target() + "' stopped during the delivery")));
}

} // namespace

mailbox::delivery_options delivery_options_of(const mailbox_env& env,
                                              const std::string& target) {
  mailbox::delivery_options opts;
  opts.max_deliveries = env.opts.max_deliveries;
  opts.backoff_initial = env.opts.redelivery_backoff_initial;
  opts.backoff_max = env.opts.redelivery_backoff_max;
  opts.max_batch = env.opts.max_batch;
  opts.delivery_window = env.opts.delivery_window;
  opts.batches = env.store_backed.count(target) > 0;
  return opts;
}

mailbox_actor::behavior_type
durable_mailbox(mailbox_pointer self, mailbox_env env, std::string target,
                mailbox_reader_actor reader, caf::actor_addr router) {
  auto& st = self->state;
  st.queue = mailbox::delivery_queue{env.opts.window, env.opts.max_depth,
                                     delivery_options_of(env, target)};
  st.store_backed = env.store_backed.count(target) > 0;
  self->set_down_handler(
    [self](caf::down_msg& msg) { mailbox_logic{self}.down(msg); });
  st.core.on_applied([self](uint64_t token, const caf::error& err) {
    mailbox_logic{self}.answered(token, err);
  });
  st.core.on_tick([self] { mailbox_logic{self}.check_timeout(); });
  st.core.on_drain([self] { mailbox_logic{self}.begin_drain(); },
                   [self] { return self->state.queue.drained(); });
  st.core.start(self, std::move(env), std::move(target), std::move(reader),
                std::move(router), st.queue,
                [self] { mailbox_logic{self}.try_deliver(); });
  return st.core.behavior();
}

} // namespace bsm
