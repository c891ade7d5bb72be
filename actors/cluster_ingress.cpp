#include "actors/cluster_ingress.hpp"

#include <algorithm>
#include <optional>
#include <vector>

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/memory_partition.hpp"
#include "runtime/clock.hpp"
#include "runtime/error.hpp"

namespace bsm {

namespace {

caf::error not_a_member(const std::string& node, uint64_t incarnation) {
  return make_error(errc::unavailable,
                    "node " + node + " at incarnation "
                      + std::to_string(incarnation)
                      + " is not a live member here (not heard from yet, "
                        "declared down, or stale)");
}

// A placed name this node may not run: it is still joining (the owner may
// be a member it does not know, runtime/cluster/join_rule.hpp), or it is
// leaving and hands the name over.
caf::error not_joined(const cluster_ingress_env& env,
                      const std::string& target) {
  if (env.directory->role() != cluster::self_role::member)
    return make_error(errc::unavailable,
                      "node " + env.directory->self()
                        + " is leaving the cluster and no longer serves '"
                        + target + "'");
  return make_error(errc::unavailable,
                    "node " + env.directory->self()
                      + " has not joined its cluster yet, so it does not "
                        "serve '"
                      + target + "'");
}

caf::error stopping(const cluster_ingress_env& env) {
  return make_error(errc::unavailable,
                    "node " + env.directory->self()
                      + " is stopping; ask again once it is back");
}

// A request to memory about a partition this node does not serve (it
// hands it over, or the sender's view is older than this node's): refused,
// so that nothing is written where it would be lost.
caf::error not_here(const cluster_ingress_env& env,
                    const v1::Envelope& envelope) {
  auto partition = memory_partition(envelope.target(), envelope.type_name(),
                                    envelope.payload());
  if (!partition)
    return caf::none;
  auto owner = memory_owner(*env.directory, *partition);
  if (!owner)
    return owner.error();
  if (!owner->local)
    return make_error(errc::unavailable,
                      "the memory of '" + *partition + "' is kept by node "
                        + owner->node + ", not by " + env.directory->self());
  return caf::none;
}

bool accepted(const cluster_ingress_env& env, const std::string& node,
              uint64_t incarnation) {
  return env.directory && env.directory->accepts(node, incarnation);
}

// What became of each entry of a batch, in order.
struct batch_outcome {
  cluster_ingress_pointer self;
  v1::LinkBatch batch;
  std::vector<std::optional<caf::error>> results;
  size_t remaining = 0;
  caf::typed_response_promise<v1::LinkAck> promise;

  // Entries are acknowledged up to the first one that failed for a reason
  // a retry can fix; those after it are sent again (and deduplicated).
  void finish() {
    v1::LinkAck ack;
    for (size_t i = 0; i < results.size(); ++i) {
      const auto& err = *results[i];
      auto seq = batch.entries(static_cast<int>(i)).link_seq();
      if (err && !is_permanent_error(err)) {
        // The sender starts again from here; later batches must wait.
        auto& next = self->state.next_link_seq[batch.from_node()];
        next = std::min(next, seq);
        break;
      }
      if (err) {
        auto* r = ack.add_refused();
        r->set_link_seq(seq);
        r->set_error(render(err));
      }
      ack.set_up_to_seq(seq);
    }
    promise.deliver(std::move(ack));
  }
};

// A batch that starts after a gap (an earlier batch in flight was refused)
// must not overtake it.
caf::error check_order(cluster_ingress_pointer self,
                       const v1::LinkBatch& batch) {
  auto first = batch.entries(0).link_seq();
  auto last = batch.entries(batch.entries_size() - 1).link_seq();
  auto& known = self->state.next_link_seq;
  auto i = known.find(batch.from_node());
  bool in_order
    = i == known.end() ? first == batch.oldest_unacked() : first <= i->second;
  if (!in_order)
    return make_error(errc::unavailable, "batch from " + batch.from_node()
                                           + " starts at "
                                           + std::to_string(first)
                                           + " but an earlier one is missing");
  auto& next = known[batch.from_node()];
  next = std::max(next, last + 1);
  return caf::none;
}

caf::result<v1::LinkAck> append_batch(cluster_ingress_pointer self,
                                      const cluster_ingress_env& env,
                                      v1::LinkBatch& batch) {
  // A node that left still forwards what it held: its batches are taken.
  if (!env.directory
      || !env.directory->accepts_link(batch.from_node(),
                                      batch.from_incarnation()))
    return not_a_member(batch.from_node(), batch.from_incarnation());
  if (batch.entries_size() == 0)
    return v1::LinkAck{};
  auto router = env.names->get(mailbox_router_path);
  if (!router)
    return make_error(errc::unavailable, "the mailbox router is restarting");
  if (auto err = check_order(self, batch))
    return err;
  auto out = std::make_shared<batch_outcome>();
  out->self = self;
  out->promise = self->make_response_promise<v1::LinkAck>();
  out->remaining = static_cast<size_t>(batch.entries_size());
  out->results.resize(out->remaining);
  // Requests to one actor arrive in the order they were sent, so the
  // entries are appended in link order.
  for (int i = 0; i < batch.entries_size(); ++i) {
    v1::SendRequest req;
    req.set_via_node(batch.from_node());
    auto& envelope = *req.mutable_envelope();
    envelope = batch.entries(i).envelope();
    // A resent entry must be a duplicate: its id is unique and stable.
    if (envelope.idempotency_key().empty())
      envelope.set_idempotency_key("@" + envelope.id());
    auto index = static_cast<size_t>(i);
    auto done = [out, index](caf::error err) {
      out->results[index] = std::move(err);
      if (--out->remaining == 0)
        out->finish();
    };
    self
      ->request(caf::actor_cast<mailbox_router_actor>(*router),
                env.append_timeout, std::move(req))
      .then([done](v1::SendResponse&) { done(caf::error{}); },
            [done](caf::error& err) { done(std::move(err)); });
  }
  out->batch = std::move(batch);
  return out->promise;
}

// `sink`, when valid, follows the decoded message (a streamed ask).
caf::result<v1::RemoteAskResponse> ask_local(cluster_ingress_pointer self,
                                             const cluster_ingress_env& env,
                                             v1::RemoteAskRequest& req,
                                             const caf::actor& sink = {}) {
  if (!accepted(env, req.from_node(), req.from_incarnation()))
    return not_a_member(req.from_node(), req.from_incarnation());
  const auto& envelope = req.envelope();
  if (!env.directory->may_serve_locally(envelope.target()))
    return not_joined(env, envelope.target());
  if (auto err = not_here(env, envelope))
    return err;
  auto msg = env.types->decode(envelope.type_name(), envelope.payload());
  if (!msg)
    return msg.error();
  auto target = env.names->get(envelope.target());
  if (!target)
    return make_error(errc::not_found, "no actor named '" + envelope.target()
                                         + "' on node "
                                         + env.directory->self());
  auto left
    = std::chrono::milliseconds{envelope.deadline_unix_ms() - unix_now_ms()};
  if (envelope.deadline_unix_ms() == 0)
    left = env.max_ask_timeout;
  if (left.count() <= 0)
    return make_error(errc::deadline_exceeded,
                      "the ask's deadline passed before it arrived");
  left = std::min(left, env.max_ask_timeout);
  // A stopping node waits for the asks it admitted before its tree stops
  // the actors that answer them; later ones are refused at once.
  if (env.asks && !env.asks->admit())
    return stopping(env);
  auto finish = [asks = env.asks] {
    if (asks)
      asks->finish();
  };
  auto rp = self->make_response_promise<v1::RemoteAskResponse>();
  if (sink)
    *msg += caf::make_message(sink);
  auto handle = self->request(*target, left, std::move(*msg));
  self->add_multiplexed_response_handler(
    handle.id(),
    any_bsm_v1_reply(
      [rp, types = env.types, finish](caf::message reply) {
        auto promise = rp;
        auto encoded = types->encode(reply);
        if (!encoded) {
          promise.deliver(encoded.error());
        } else {
          v1::RemoteAskResponse resp;
          resp.mutable_reply()->set_type_name(std::move(encoded->type_name));
          resp.mutable_reply()->set_payload(std::move(encoded->bytes));
          promise.deliver(std::move(resp));
        }
        finish();
      },
      [rp, finish](caf::error& err) {
        auto promise = rp;
        promise.deliver(err);
        finish();
      }));
  return rp;
}

void tell_local(const cluster_ingress_env& env, const v1::RemoteTell& tell) {
  if (!accepted(env, tell.from_node(), tell.from_incarnation()))
    return;
  const auto& envelope = tell.envelope();
  if (!env.directory->may_serve_locally(envelope.target())) {
    // At most once: dropped, like a tell to an actor that is not running.
    env.log->debug("dropped a tell from {} to '{}': {}", tell.from_node(),
                   envelope.target(),
                   render(not_joined(env, envelope.target())));
    return;
  }
  if (auto err = not_here(env, envelope)) {
    env.log->debug("dropped a tell from {} to '{}': {}", tell.from_node(),
                   envelope.target(), render(err));
    return;
  }
  auto msg = env.types->decode(envelope.type_name(), envelope.payload());
  auto target = env.names->get(envelope.target());
  if (!msg || !target) {
    env.log->debug("dropped a tell from {} to '{}': {}", tell.from_node(),
                   envelope.target(),
                   render(msg ? target.error() : msg.error()));
    return;
  }
  caf::anon_send(*target, std::move(*msg));
}

} // namespace

cluster_ingress_actor::behavior_type
cluster_ingress(cluster_ingress_pointer self, cluster_ingress_env env) {
  return {
    [self, env](v1::SendRequest& req) -> caf::result<v1::SendResponse> {
      auto router = env.names->get(mailbox_router_path);
      if (!router)
        return make_error(errc::unavailable,
                          "the mailbox router is not running");
      return self->delegate(caf::actor_cast<mailbox_router_actor>(*router),
                            std::move(req));
    },
    [env](v1::Heartbeat& hb) {
      if (auto membership = env.names->get(cluster_membership_path))
        caf::anon_send(caf::actor_cast<cluster_membership_actor>(*membership),
                       std::move(hb));
    },
    [self, env](v1::LinkBatch& batch) -> caf::result<v1::LinkAck> {
      return append_batch(self, env, batch);
    },
    [self,
     env](v1::RemoteAskRequest& req) -> caf::result<v1::RemoteAskResponse> {
      return ask_local(self, env, req);
    },
    [self, env](v1::RemoteAskRequest& req,
                caf::actor& sink) -> caf::result<v1::RemoteAskResponse> {
      return ask_local(self, env, req, sink);
    },
    [env](v1::RemoteTell& tell) { tell_local(env, tell); },
  };
}

} // namespace bsm
