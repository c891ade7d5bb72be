#include "actors/mailbox_router.hpp"

#include "actors/mailbox_actor.hpp"
#include "actors/mailbox_reader.hpp"
#include "actors/memory_partition.hpp"
#include "actors/outbox_actor.hpp"
#include "runtime/error.hpp"
#include "runtime/mailbox/mailbox_store.hpp"
#include "runtime/mailbox/message_id.hpp"

namespace bsm {

caf::error check_envelope(const type_registry& types, size_t max_envelope_bytes,
                          const v1::Envelope& x, payload_check payload) {
  if (auto err = name_registry::validate_path(x.target()))
    return make_error(errc::invalid_argument,
                      "bad target '" + x.target() + "': " + render(err));
  if (!types.contains(x.type_name()))
    return make_error(errc::invalid_argument,
                      "unknown message type '" + x.type_name() + "'");
  if (x.ByteSizeLong() > max_envelope_bytes)
    return make_error(errc::resource_exhausted,
                      "envelope of " + std::to_string(x.ByteSizeLong())
                        + " bytes is over mailbox.max_envelope_bytes ("
                        + std::to_string(max_envelope_bytes) + ")");
  if (x.idempotency_key().size() > mailbox::max_idempotency_key_bytes)
    return make_error(errc::invalid_argument,
                      "idempotency key is longer than "
                        + std::to_string(mailbox::max_idempotency_key_bytes)
                        + " bytes");
  if (payload == payload_check::decode)
    if (auto msg = types.decode(x.type_name(), x.payload()); !msg)
      return msg.error();
  return caf::none;
}

namespace {

caf::error check(const mailbox_env& env, const v1::Envelope& x) {
  return check_envelope(*env.types, env.opts.max_envelope_bytes, x,
                        payload_check::decode);
}

// Lists a local target's mailbox for senders that skip the router, until
// the mailbox stops.
void publish(const mailbox_env& env, const std::string& target,
             const mailbox_actor& box) {
  if (!env.locals)
    return;
  env.locals->publish(target, box.address());
  box->attach_functor([locals = env.locals, target, addr = box.address()](
                        const caf::error&) { locals->withdraw(target, addr); });
}

mailbox_actor box_for(mailbox_router_pointer self, const std::string& target) {
  auto& st = self->state;
  auto i = st.boxes.find(target);
  if (i != st.boxes.end())
    return i->second;
  auto peer = st.env.directory ? outbox_peer(target) : std::nullopt;
  auto box = peer
               ? self->spawn(outbox, st.env, *peer, st.reader, self->address())
               : self->spawn(durable_mailbox, st.env, target, st.reader,
                             self->address());
  self->monitor(box);
  if (st.draining)
    // Started during a stop (a send from the cluster port): it keeps the
    // envelopes on disk and delivers none.
    self->request(box, caf::infinite, *st.draining)
      .then([](const v1::MailboxDrainResponse&) {}, [](const caf::error&) {});
  if (!peer)
    publish(st.env, target, box);
  st.targets.emplace(box.address(), target);
  st.boxes.emplace(target, box);
  return box;
}

// The mailbox a send goes to: the target's own, or the outbox to the node
// that owns the target. An envelope that came from another node's outbox
// stays here.
caf::expected<std::string> mailbox_of(mailbox_router_pointer self,
                                      const v1::SendRequest& req) {
  auto& st = self->state;
  const auto& target = req.envelope().target();
  auto here = [&st, &target]() -> caf::expected<std::string> {
    if (st.boxes.count(target) || st.env.names->get(target))
      return target;
    return make_error(errc::not_found, "no actor named '" + target + "'");
  };
  const auto* dir = st.env.directory.get();
  if (!dir || !req.via_node().empty())
    return here();
  const auto& envelope = req.envelope();
  auto partition
    = memory_partition(target, envelope.type_name(), envelope.payload());
  // A mailbox here whose actor is restarting keeps its sends, unless the
  // name is placed or partitioned (then the placement decides).
  if (st.boxes.count(target) && !partition && !dir->placement_of(target))
    return target;
  auto owner = resolve_request(*dir, target, partition);
  if (!owner)
    return owner.error();
  if (owner->local)
    return here();
  return outbox_target(owner->node);
}

// Counts the mailboxes' answers to one drain; the last answers the node.
struct drain_tally {
  caf::typed_response_promise<v1::MailboxDrainResponse> rp;
  v1::MailboxDrainResponse resp;
  size_t waiting = 0;

  void answered(bool cut) {
    if (cut)
      resp.set_cut(resp.cut() + 1);
    if (--waiting == 0)
      rp.deliver(resp);
  }
};

caf::result<v1::MailboxDrainResponse>
drain_all(mailbox_router_pointer self, const v1::MailboxDrainRequest& req) {
  auto& st = self->state;
  st.draining = req;
  v1::MailboxDrainResponse resp;
  resp.set_mailboxes(static_cast<uint32_t>(st.boxes.size()));
  if (st.boxes.empty())
    return resp;
  auto tally = std::make_shared<drain_tally>();
  tally->rp = self->make_response_promise<v1::MailboxDrainResponse>();
  tally->resp = resp;
  tally->waiting = st.boxes.size();
  // Once per stop and per mailbox: CAF's own timeout is cheap enough here.
  std::chrono::milliseconds timeout{req.timeout_ms()};
  for (auto& [target, box] : st.boxes)
    self->request(box, timeout, req)
      .then(
        [tally](const v1::MailboxDrainResponse& r) {
          tally->answered(r.cut() > 0);
        },
        [tally, self, target = target](const caf::error& err) {
          self->state.env.log->warn("mailbox {}: deliveries still in flight "
                                    "at the drain's end: {}",
                                    target, render(err));
          tally->answered(true);
        });
  return tally->rp;
}

} // namespace

mailbox_router_actor::behavior_type mailbox_router(mailbox_router_pointer self,
                                                   mailbox_env env) {
  auto& state = self->state;
  state.env = std::move(env);
  // Detached: its reads block its own thread only. Linked: it stops with
  // the router.
  state.reader
    = self->spawn<caf::detached + caf::linked>(mailbox_reader, state.env.db);
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    auto i = st.targets.find(msg.source);
    if (i == st.targets.end())
      return;
    auto target = std::move(i->second);
    st.targets.erase(i);
    st.boxes.erase(target);
    // Only a crash ends a mailbox early. The next send to the target starts
    // a new one, which recovers from disk; starting it here at once could
    // loop on a store that keeps failing.
    st.env.log->error("mailbox {} stopped: {}", target, render(msg.reason));
  });
  self->request(state.reader, caf::infinite, v1::MailboxTargetsRequest{})
    .then(
      [self](v1::MailboxTargetsResponse& resp) {
        if (resp.targets_size() > 0)
          self->state.env.log->info("{} mailboxes have pending envelopes",
                                    resp.targets_size());
        for (const auto& target : resp.targets())
          box_for(self, target);
      },
      [self](caf::error& err) {
        self->state.env.log->error("cannot list pending mailboxes: {}",
                                   render(err));
        self->quit(err);
      });
  return {
    [self](v1::SendRequest& req) -> caf::result<v1::SendResponse> {
      auto& envelope = *req.mutable_envelope();
      if (auto err = check(self->state.env, envelope))
        return err;
      auto box = mailbox_of(self, req);
      if (!box)
        return box.error();
      if (envelope.id().empty())
        envelope.set_id(new_message_id());
      return self->delegate(box_for(self, *box), std::move(req));
    },
    [self](v1::MailboxDrainRequest& req)
      -> caf::result<v1::MailboxDrainResponse> { return drain_all(self, req); },
    // Dead letters: blocking reads and deletes, on the reader's thread.
    [self](v1::DeadLetterListRequest& req)
      -> caf::result<v1::DeadLetterListResponse> {
      return self->delegate(self->state.reader, std::move(req));
    },
    [self](v1::DeadLetterGetRequest& req) -> caf::result<v1::DeadLetterEntry> {
      return self->delegate(self->state.reader, std::move(req));
    },
    [self](v1::DeadLetterDeleteRequest& req)
      -> caf::result<v1::DeadLetterDeleteResponse> {
      return self->delegate(self->state.reader, std::move(req));
    },
    [self](v1::DeadLetterPurgeRequest& req)
      -> caf::result<v1::DeadLetterPurgeResponse> {
      return self->delegate(self->state.reader, std::move(req));
    },
  };
}

} // namespace bsm
