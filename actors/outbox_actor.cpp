#include "actors/outbox_actor.hpp"

#include <algorithm>

#include "runtime/error.hpp"

namespace bsm {

namespace {

class outbox_logic {
public:
  explicit outbox_logic(outbox_pointer self)
    : self_(self), core_(self->state.core), window_(self->state.window),
      peer_(self->state.peer) {}

  void try_send();
  void acked(uint64_t token, const v1::LinkAck& ack);
  void failed(uint64_t token, const caf::error& err);

private:
  caf::actor reachable_peer() const;
  void send(caf::actor conn);

  outbox_pointer self_;
  mailbox_core& core_;
  mailbox::link_window& window_;
  const std::string& peer_;
};

// The peer's cluster port, while the peer runs and is connected: up,
// suspect, leaving, or left (a node that left still takes what was sent to
// it before and forwards it to the new owners, until it stops).
caf::actor outbox_logic::reachable_peer() const {
  const auto& dir = *core_.env().directory;
  auto member = dir.member(peer_);
  if (!member || member->state == v1::MEMBER_STATE_DOWN)
    return nullptr;
  return dir.connection(peer_);
}

void outbox_logic::try_send() {
  while (core_.may_deliver() && window_.can_send()) {
    if (window_.pending().empty()) {
      core_.maybe_read();
      return;
    }
    auto conn = reachable_peer();
    if (!conn) {
      // The owner is down or not connected yet: the entries wait on disk.
      if (window_.idle())
        core_.wait_then_deliver(window_.options().poll);
      return;
    }
    send(std::move(conn));
  }
}

void outbox_logic::send(caf::actor conn) {
  const auto& dir = *core_.env().directory;
  auto out = window_.next_batch();
  out.batch.set_from_node(dir.self());
  out.batch.set_from_incarnation(dir.incarnation());
  core_.maybe_read();
  core_.env().metrics->deliveries.inc(out.batch.entries_size());
  // One timer for all batches in flight, not a CAF clock entry each.
  timed_request(self_, core_.deadlines(),
                caf::actor_cast<cluster_ingress_actor>(conn),
                window_.options().ack_timeout, std::move(out.batch))
    .then([self = self_, token = out.token](
            v1::LinkAck& ack) { outbox_logic{self}.acked(token, ack); },
          [self = self_, token = out.token](caf::error& err) {
            outbox_logic{self}.failed(token, err);
          });
}

void outbox_logic::acked(uint64_t token, const v1::LinkAck& ack) {
  auto out = window_.acked(token, ack);
  if (out.stale)
    return;
  for (auto& [e, why] : out.refused)
    core_.bury(std::move(e),
               make_error(errc::failed_precondition,
                          "node " + peer_ + " refused it: " + why));
  core_.acknowledge(std::move(out.done));
  if (out.retry_after) {
    core_.env().metrics->redeliveries.inc();
    core_.wait_then_deliver(*out.retry_after);
  } else {
    try_send();
  }
  core_.sync_depth();
  core_.check_drained();
}

void outbox_logic::failed(uint64_t token, const caf::error& err) {
  auto out = window_.failed(token);
  if (out.stale)
    return;
  if (out.first)
    core_.env().log->warn("outbox to {}: {} envelopes not acknowledged: {}; "
                          "sending again",
                          peer_, out.unacked, render(err));
  core_.env().metrics->redeliveries.inc();
  core_.wait_then_deliver(out.retry_after);
  core_.check_drained();
}

} // namespace

mailbox::link_options link_options_of(const mailbox_env& env) {
  mailbox::link_options opts;
  opts.batch = env.opts.link_batch;
  opts.batch_bytes = env.opts.link_batch_bytes;
  opts.pipeline = env.opts.link_pipeline;
  opts.ack_timeout = env.opts.link_ack_timeout;
  opts.poll = env.opts.link_poll;
  opts.backoff_initial = env.opts.redelivery_backoff_initial;
  opts.backoff_max
    = std::min(env.opts.redelivery_backoff_max, env.opts.link_backoff_max);
  return opts;
}

mailbox_actor::behavior_type outbox(outbox_pointer self, mailbox_env env,
                                    std::string peer,
                                    mailbox_reader_actor reader,
                                    caf::actor_addr router) {
  auto& st = self->state;
  st.window = mailbox::link_window{env.opts.window, env.opts.max_depth,
                                   link_options_of(env)};
  st.peer = peer;
  self->set_down_handler(
    [self](caf::down_msg& msg) { self->state.core.router_down(msg); });
  st.core.on_drain([self] { self->state.window.drain(); },
                   [self] { return self->state.window.drained(); });
  st.core.start(self, std::move(env), outbox_target(peer), std::move(reader),
                std::move(router), st.window,
                [self] { outbox_logic{self}.try_send(); });
  return st.core.behavior();
}

} // namespace bsm
