#include "actors/mailbox_actor.hpp"

#include "runtime/error.hpp"

namespace bsm {

namespace {

using kind = mailbox::delivery_outcome::kind;

class mailbox_logic {
public:
  explicit mailbox_logic(mailbox_pointer self)
    : self_(self), core_(self->state.core), queue_(self->state.queue) {}

  void try_deliver();
  void answered(uint64_t token, const caf::error& err);
  void down(const caf::down_msg& msg);

private:
  void deliver(mailbox::entry e, const caf::actor& handle);
  void apply(mailbox::delivery_outcome out, const caf::error& err);
  void watch(const caf::actor& handle);

  mailbox_pointer self_;
  mailbox_core& core_;
  mailbox::delivery_queue& queue_;
};

void mailbox_logic::try_deliver() {
  auto& pending = queue_.pending();
  while (core_.may_deliver() && !queue_.in_flight()) {
    if (pending.empty()) {
      core_.maybe_read();
      return;
    }
    auto handle = core_.env().names->get(core_.target());
    if (!handle) {
      // Not started yet, or restarting: look again after a while.
      core_.wait_then_deliver(queue_.backoff());
      return;
    }
    if (auto head = queue_.recount_head()) {
      if (!head->dead) {
        core_.rewrite_then_deliver(head->e);
        return;
      }
      auto err = make_error(errc::aborted,
                            "the node stopped during each of "
                              + std::to_string(head->e.envelope.attempt())
                              + " deliveries");
      core_.bury(std::move(head->e), err);
      continue;
    }
    auto e = queue_.take_next();
    core_.maybe_read();
    deliver(std::move(e), *handle);
  }
}

void mailbox_logic::deliver(mailbox::entry e, const caf::actor& handle) {
  auto msg
    = core_.env().types->decode(e.envelope.type_name(), e.envelope.payload());
  if (!msg) {
    queue_.dropped();
    core_.bury(std::move(e), msg.error());
    return;
  }
  watch(handle);
  auto token = queue_.start(std::move(e));
  core_.env().metrics->deliveries.inc();
  self_->request(handle, core_.env().opts.delivery_timeout, std::move(*msg))
    .then([self = self_, token]() { mailbox_logic{self}.answered(token, {}); },
          [self = self_, token](caf::error& err) {
            mailbox_logic{self}.answered(token, err);
          });
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
  apply(queue_.answered(token, err), err);
}

void mailbox_logic::apply(mailbox::delivery_outcome out,
                          const caf::error& err) {
  switch (out.what) {
    case kind::stale: return;
    case kind::acknowledged: core_.acknowledge({out.e.seq}); break;
    case kind::dead_letter: core_.bury(std::move(out.e), err); break;
    case kind::redeliver:
      core_.env().metrics->redeliveries.inc();
      core_.env().log->warn(
        "mailbox {}: delivery {} of {} failed: {}; retrying in {}ms",
        core_.target(), out.e.envelope.attempt(), out.e.envelope.id(),
        render(err), out.delay.count());
      core_.rewrite(out.e);
      core_.wait_then_deliver(out.delay);
      return;
  }
  try_deliver();
  core_.sync_depth();
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
  auto err
    = msg.reason
        ? msg.reason
        : make_error(errc::unavailable,
                     "'" + core_.target() + "' stopped during the delivery");
  apply(queue_.failed(err), err);
}

} // namespace

mailbox::delivery_options delivery_options_of(const mailbox_env& env) {
  mailbox::delivery_options opts;
  opts.max_deliveries = env.opts.max_deliveries;
  opts.backoff_initial = env.opts.redelivery_backoff_initial;
  opts.backoff_max = env.opts.redelivery_backoff_max;
  return opts;
}

mailbox_actor::behavior_type
durable_mailbox(mailbox_pointer self, mailbox_env env, std::string target,
                mailbox_reader_actor reader, caf::actor_addr router) {
  auto& st = self->state;
  st.queue = mailbox::delivery_queue{env.opts.window, env.opts.max_depth,
                                     delivery_options_of(env)};
  self->set_down_handler(
    [self](caf::down_msg& msg) { mailbox_logic{self}.down(msg); });
  st.core.start(self, std::move(env), std::move(target), std::move(reader),
                std::move(router), st.queue,
                [self] { mailbox_logic{self}.try_deliver(); });
  return st.core.behavior();
}

} // namespace bsm
