#include "actors/memory_replica_flow.hpp"

#include <algorithm>

#include "actors/agent_state.hpp"
#include "actors/memory_keys.hpp"
#include "actors/memory_partition.hpp"
#include "runtime/error.hpp"
#include "runtime/store/session_prefix.hpp"

namespace bsm::memory_flow {

namespace {

// The bytes a page of state holds at most (about), either way.
constexpr uint32_t default_page_bytes = 1u << 20;
constexpr uint32_t max_page_bytes = 8u << 20;

using cluster::epoch_record;
using done_fn = std::function<void()>;
using steady = std::chrono::steady_clock;
using then_fn = std::function<void(caf::error)>;

const cluster::directory& dir_of(memory_pointer self) {
  return *self->state.replicas.env.directory;
}

const std::string& self_name(memory_pointer self) {
  return dir_of(self).self();
}

void count(metrics::counter* c) {
  if (c)
    c->inc();
}

caf::error unavailable(std::string what) {
  return make_error(errc::unavailable, std::move(what));
}

// The other node of a replica set: none (no other node, or it is down:
// this one acts alone), or its name; an error while it is live but not
// connected (acting alone then could act beside it).
caf::expected<std::optional<std::string>> live_peer(memory_pointer self,
                                                    const std::string& key) {
  const auto& dir = dir_of(self);
  for (const auto& node : dir.replicas(key)) {
    if (node == dir.self())
      continue;
    if (!dir.live_member(node))
      return std::optional<std::string>{};
    if (!dir.connection(node))
      return unavailable("the copy on node " + node + " is not connected");
    return std::optional<std::string>{node};
  }
  return std::optional<std::string>{};
}

// Asks `memory` on `node` with `req`; `on_reply` gets the typed answer.
template <class Response, class Request, class OnReply>
void ask_copy(memory_pointer self, const std::string& node, Request req,
              OnReply on_reply, then_fn on_error) {
  const auto& env = self->state.replicas.env;
  ask_node(
    self, env.calls, node, memory_path, caf::make_message(std::move(req)),
    env.timeout,
    [on_reply, on_error](caf::message msg) {
      if (!msg.match_elements<Response>())
        return on_error(
          make_error(errc::internal, "a copy answered with another type"));
      on_reply(msg.get_as<Response>(0));
    },
    [on_error, node](caf::error err) {
      on_error(unavailable("the copy on node " + node
                           + " did not answer: " + render(err)));
    });
}

caf::error write_epoch(memory_state& st, const std::string& agent,
                       const epoch_record& record) {
  rocksdb::WriteBatch batch;
  if (auto err = agent_state{st.db}.put_epoch(batch, agent, record))
    return err;
  return st.db->write(batch);
}

// Forgets what the caches hold of sessions that `entries` wrote.
template <class Entries>
void forget_sessions(memory_state& st, const Entries& entries) {
  for (const auto& e : entries) {
    const auto& key = e.key();
    if (key.size() <= session_turn_seq_bytes
        || key.compare(0, sizeof session_turn_tag, session_turn_tag,
                       sizeof session_turn_tag)
             != 0)
      continue;
    auto session = key.substr(0, key.size() - session_turn_seq_bytes);
    st.cache.invalidate(session);
    st.sequences->forget(session);
  }
}

// Writes a page of `agent`'s whole state in one batch: the first page
// replaces what this store held of the agent, and with `current` the
// copy becomes current at that epoch. Then forgets the sessions it wrote.
caf::error
load_page(memory_state& st, const std::string& agent,
          const google::protobuf::RepeatedPtrField<v1::StoreWrite>& entries,
          bool first, const epoch_record* current) {
  agent_state state{st.db};
  rocksdb::WriteBatch batch;
  caf::error err;
  if (first)
    err = state.clear(batch, agent);
  if (!err)
    err = state.add(batch, agent, entries);
  if (!err && current)
    err = state.put_epoch(batch, agent, *current);
  if (!err)
    err = st.db->write(batch);
  if (!err)
    forget_sessions(st, entries);
  return err;
}

// -- the acting side: pull, push, claim --

void pull(memory_pointer self, std::string agent, std::string peer,
          std::string after, bool first, then_fn then) {
  v1::AgentStatePageRequest req;
  req.set_agent(agent);
  req.set_after_key(after);
  req.set_max_bytes(default_page_bytes);
  ask_copy<v1::AgentStatePageResponse>(
    self, peer, std::move(req),
    [self, agent, peer, first, then](const v1::AgentStatePageResponse& page) {
      if (auto err
          = load_page(self->state, agent, page.entries(), first, nullptr))
        return then(err);
      if (page.done() || page.entries().empty())
        return then(caf::none);
      pull(self, agent, peer, page.entries().rbegin()->key(), false, then);
    },
    then);
}

void push(memory_pointer self, std::string agent, std::string peer,
          uint64_t epoch, std::string after, bool first, then_fn then) {
  auto page
    = agent_state{self->state.db}.read_page(agent, after, default_page_bytes);
  if (!page)
    return then(page.error());
  v1::AgentStateLoadRequest req;
  req.set_agent(agent);
  req.set_epoch(epoch);
  req.set_from_node(self_name(self));
  req.set_first(first);
  req.set_done(page->done);
  for (auto& e : page->entries)
    *req.add_entries() = std::move(e);
  std::string last
    = req.entries().empty() ? after : req.entries().rbegin()->key();
  ask_copy<v1::AgentStateLoadResponse>(
    self, peer, std::move(req),
    [self, agent, peer, epoch, last, done = page->done,
     then](const v1::AgentStateLoadResponse& resp) {
      if (resp.verdict() != v1::REPLICA_VERDICT_APPLIED) {
        self->state.replicas.claimed.erase(agent);
        return then(unavailable("the copy on node " + peer
                                + " knows a later epoch of agent '" + agent
                                + "'"));
      }
      if (done)
        return then(caf::none);
      push(self, agent, peer, epoch, last, false, then);
    },
    then);
}

// Makes this node's claim of `epoch` for `agent` stand: written, held
// (confirmed by the copy in the exchange sent at `sent_at`).
void hold_claim(memory_pointer self, const std::string& agent,
                epoch_record record, bool alone, steady::time_point sent_at,
                then_fn then) {
  if (auto err = write_epoch(self->state, agent, record))
    return then(err);
  self->state.replicas.claimed.put(
    agent, memory_replicas::claim{std::move(record), alone, sent_at});
  count(self->state.replicas.metrics.claims);
  then(caf::none);
}

void propose(memory_pointer self, std::string agent, std::string peer,
             epoch_record own, uint64_t epoch, bool may_retry, then_fn then) {
  v1::EpochClaimRequest req;
  req.set_agent(agent);
  req.set_epoch(epoch);
  req.set_from_node(self_name(self));
  auto sent_at = steady::now();
  ask_copy<v1::EpochClaimResponse>(
    self, peer, req,
    [self, agent, peer, own, epoch, may_retry, sent_at,
     then](const v1::EpochClaimResponse& resp) {
      if (!resp.granted()) {
        if (may_retry && resp.previous_epoch() >= epoch)
          return propose(self, agent, peer, own, resp.previous_epoch() + 1,
                         false, then);
        return then(unavailable("node " + peer
                                + " refused this node's claim on agent '"
                                + agent + "'"));
      }
      epoch_record previous{resp.previous_epoch(), resp.previous_holder()};
      epoch_record mine{epoch, self_name(self)};
      if (!cluster::must_pull(own, previous))
        return hold_claim(self, agent, mine, false, sent_at, then);
      // The copy acted (or saw acting) later: its state is the current
      // one. It refuses changes of other epochs from now on; the claim
      // still standing after the copy means nobody changed it meanwhile.
      count(self->state.replicas.metrics.pulls);
      pull(self, agent, peer, {}, true,
           [self, agent, peer, mine, then](caf::error err) {
             if (err)
               return then(err);
             v1::EpochClaimRequest confirm;
             confirm.set_agent(agent);
             confirm.set_epoch(mine.epoch);
             confirm.set_from_node(mine.holder);
             confirm.set_confirm(true);
             auto confirm_sent_at = steady::now();
             ask_copy<v1::EpochClaimResponse>(
               self, peer, confirm,
               [self, agent, peer, mine, confirm_sent_at,
                then](const v1::EpochClaimResponse& confirmed) {
                 if (!confirmed.granted())
                   return then(
                     unavailable("node " + peer + " claimed agent '" + agent
                                 + "' while its state was copied here"));
                 hold_claim(self, agent, mine, false, confirm_sent_at, then);
               },
               then);
           });
    },
    then);
}

void claim(memory_pointer self, const std::string& agent, then_fn then);

// A claim whose lease ran out (the node was idle, or paused): the copy
// confirms it still stands before this node serves from its state; if
// another node claimed since, this one claims anew (copying its state).
void reconfirm(memory_pointer self, const std::string& agent,
               const std::string& key, const epoch_record& held, then_fn then) {
  auto peer = live_peer(self, key);
  if (!peer)
    return then(peer.error());
  if (!*peer) {
    self->state.replicas.claimed.erase(agent);
    return claim(self, agent, then);
  }
  v1::EpochClaimRequest req;
  req.set_agent(agent);
  req.set_epoch(held.epoch);
  req.set_from_node(held.holder);
  req.set_confirm(true);
  auto sent_at = steady::now();
  ask_copy<v1::EpochClaimResponse>(
    self, **peer, req,
    [self, agent, sent_at, then](const v1::EpochClaimResponse& resp) {
      auto& replicas = self->state.replicas;
      if (!resp.granted()) {
        count(replicas.metrics.refused_stale);
        replicas.claimed.erase(agent);
        return claim(self, agent, then);
      }
      if (auto* current = replicas.claimed.find(agent))
        current->confirmed_at = sent_at;
      then(caf::none);
    },
    then);
}

void claim(memory_pointer self, const std::string& agent, then_fn then) {
  auto& r = self->state.replicas;
  const auto& dir = dir_of(self);
  auto key = replicated_partition(dir, agent);
  if (!key)
    return then(caf::none);
  auto owner = memory_owner(dir, agent);
  if (!owner || !owner->local) {
    r.claimed.erase(agent);
    if (!owner)
      return then(owner.error());
    return then(unavailable("the memory of agent '" + agent
                            + "' is served by node " + owner->node));
  }
  if (auto* held = r.claimed.find(agent)) {
    if (held->alone
        || cluster::lease_holds(held->confirmed_at, steady::now(), r.env.lease))
      return then(caf::none);
    return reconfirm(self, agent, *key, held->record, then);
  }
  auto own = agent_state{self->state.db}.epoch(agent);
  if (!own)
    return then(own.error());
  auto peer = live_peer(self, *key);
  if (!peer)
    return then(peer.error());
  if (!*peer)
    return hold_claim(self, agent, {own->epoch + 1, dir.self()}, true,
                      steady::now(), then);
  propose(self, agent, **peer, *own, own->epoch + 1, true, then);
}

void claim_each(memory_pointer self,
                std::shared_ptr<std::vector<std::string>> agents, size_t i,
                then_fn then) {
  if (i == agents->size())
    return then(caf::none);
  claim(self, (*agents)[i], [self, agents, i, then](caf::error err) {
    if (err)
      return then(err);
    claim_each(self, agents, i + 1, then);
  });
}

void finish(memory_pointer self);

// Starts queued requests while none is waiting for a remote answer. A loop,
// not a recursion: requests that finish at once do not stack up.
void pump(memory_pointer self) {
  auto& r = self->state.replicas;
  if (r.pumping)
    return;
  r.pumping = true;
  while (!r.busy && !r.queue.empty()) {
    r.busy = true;
    auto next = std::move(r.queue.front());
    r.queue.pop_front();
    next();
  }
  r.pumping = false;
}

void finish(memory_pointer self) {
  self->state.replicas.busy = false;
  pump(self);
}

void send_change(memory_pointer self, std::string agent, std::string peer,
                 std::shared_ptr<std::vector<memory_write>> writes,
                 bool may_push, then_fn then) {
  auto& r = self->state.replicas;
  auto* held = r.claimed.find(agent);
  if (!held)
    return then(
      unavailable("this node no longer acts for agent '" + agent + "'"));
  auto epoch = held->record.epoch;
  v1::ReplicaWriteRequest req;
  req.set_agent(agent);
  req.set_epoch(epoch);
  req.set_from_node(self_name(self));
  for (const auto& w : *writes) {
    auto* out = req.add_writes();
    out->set_column(v1::EFFECT_COLUMN_MEMORY);
    out->set_key(w.key);
    out->set_value(w.value);
    out->set_erase(w.erase);
  }
  auto sent_at = steady::now();
  ask_copy<v1::ReplicaWriteResponse>(
    self, peer, std::move(req),
    [self, agent, peer, writes, epoch, may_push, sent_at,
     then](const v1::ReplicaWriteResponse& resp) {
      auto& replicas = self->state.replicas;
      switch (resp.verdict()) {
        case v1::REPLICA_VERDICT_APPLIED:
          count(replicas.metrics.applied);
          if (auto* current = replicas.claimed.find(agent)) {
            current->alone = false;
            current->confirmed_at = sent_at;
          }
          return then(caf::none);
        case v1::REPLICA_VERDICT_BEHIND:
          if (!may_push)
            break;
          // The copy missed changes: it gets the whole state first.
          count(replicas.metrics.pushes);
          return push(self, agent, peer, epoch, {}, true,
                      [self, agent, peer, writes, then](caf::error err) {
                        if (err)
                          return then(err);
                        send_change(self, agent, peer, writes, false, then);
                      });
        default: break;
      }
      count(replicas.metrics.refused_stale);
      replicas.claimed.erase(agent);
      then(unavailable("node " + peer + " knows a later epoch of agent '"
                       + agent + "': this node no longer acts for it"));
    },
    [self, then](caf::error err) {
      count(self->state.replicas.metrics.failed);
      then(std::move(err));
    });
}

} // namespace

bool replicated(memory_pointer self, const std::string& agent) {
  auto& r = self->state.replicas;
  return r.enabled() && replicated_partition(*r.env.directory, agent);
}

void run_claimed(memory_pointer self, std::vector<std::string> agents,
                 job work) {
  auto& r = self->state.replicas;
  if (r.queue.size() >= memory_replicas::max_queued)
    return work(unavailable("too many memory requests wait for their "
                            "replicas"),
                [] {});
  auto shared = std::make_shared<std::vector<std::string>>(std::move(agents));
  r.queue.emplace_back([self, shared, work = std::move(work)] {
    claim_each(self, shared, 0, [self, work](caf::error err) {
      work(std::move(err), [self] { finish(self); });
    });
  });
  pump(self);
}

void replicate(memory_pointer self, const std::string& agent,
               std::vector<memory_write> writes, then_fn then) {
  auto& r = self->state.replicas;
  auto key = replicated_partition(dir_of(self), agent);
  if (!key || writes.empty())
    return then(caf::none);
  auto* held = r.claimed.find(agent);
  if (!held)
    return then(
      unavailable("this node no longer acts for agent '" + agent + "'"));
  auto peer = live_peer(self, *key);
  if (!peer)
    return then(peer.error());
  if (!*peer) {
    if (held->alone)
      return then(caf::none);
    // The copy misses what follows: a new epoch tells it so once it is
    // back (it answers `behind` and gets the whole state).
    epoch_record raised{held->record.epoch + 1, dir_of(self).self()};
    if (auto err = write_epoch(self->state, agent, raised))
      return then(err);
    held->record = raised;
    held->alone = true;
    return then(caf::none);
  }
  send_change(self, agent, **peer,
              std::make_shared<std::vector<memory_write>>(std::move(writes)),
              true, std::move(then));
}

// -- the copy's side --

caf::expected<v1::EpochClaimResponse>
on_claim(memory_state& st, const v1::EpochClaimRequest& req) {
  agent_state state{st.db};
  auto mine = state.epoch(req.agent());
  if (!mine)
    return mine.error();
  v1::EpochClaimResponse result;
  result.set_previous_epoch(mine->epoch);
  result.set_previous_holder(mine->holder);
  if (req.confirm()) {
    result.set_granted(
      cluster::claim_stands(*mine, req.epoch(), req.from_node()));
    return result;
  }
  auto answer = cluster::judge_claim(*mine, req.epoch(), req.from_node());
  if (answer.granted) {
    if (auto err = write_epoch(st, req.agent(), *mine))
      return err;
    // Another node acts for the agent now; so would this one only by a
    // new claim.
    st.replicas.claimed.erase(req.agent());
  }
  result.set_granted(answer.granted);
  return result;
}

caf::expected<v1::ReplicaWriteResponse>
on_change(memory_state& st, const v1::ReplicaWriteRequest& req) {
  agent_state state{st.db};
  auto mine = state.epoch(req.agent());
  if (!mine)
    return mine.error();
  v1::ReplicaWriteResponse result;
  result.set_epoch(mine->epoch);
  switch (cluster::judge_change(*mine, req.epoch(), req.from_node())) {
    case cluster::change_verdict::stale:
      count(st.replicas.metrics.refused_here);
      result.set_verdict(v1::REPLICA_VERDICT_STALE);
      return result;
    case cluster::change_verdict::behind:
      result.set_verdict(v1::REPLICA_VERDICT_BEHIND);
      return result;
    case cluster::change_verdict::apply: break;
  }
  rocksdb::WriteBatch batch;
  if (auto err = state.add(batch, req.agent(), req.writes()))
    return err;
  if (auto err = st.db->write(batch))
    return err;
  forget_sessions(st, req.writes());
  result.set_verdict(v1::REPLICA_VERDICT_APPLIED);
  return result;
}

caf::expected<v1::AgentStatePageResponse>
on_page(memory_state& st, const v1::AgentStatePageRequest& req) {
  auto bytes = req.max_bytes() == 0 ? default_page_bytes
                                    : std::min(req.max_bytes(), max_page_bytes);
  auto page = agent_state{st.db}.read_page(req.agent(), req.after_key(), bytes);
  if (!page)
    return page.error();
  v1::AgentStatePageResponse result;
  for (auto& e : page->entries)
    *result.add_entries() = std::move(e);
  result.set_done(page->done);
  return result;
}

caf::expected<v1::AgentStateLoadResponse>
on_load(memory_state& st, const v1::AgentStateLoadRequest& req) {
  agent_state state{st.db};
  auto mine = state.epoch(req.agent());
  if (!mine)
    return mine.error();
  v1::AgentStateLoadResponse result;
  if (req.epoch() < mine->epoch) {
    count(st.replicas.metrics.refused_here);
    result.set_verdict(v1::REPLICA_VERDICT_STALE);
    return result;
  }
  epoch_record current{req.epoch(), req.from_node()};
  if (auto err = load_page(st, req.agent(), req.entries(), req.first(),
                           req.done() ? &current : nullptr))
    return err;
  st.replicas.claimed.erase(req.agent());
  result.set_verdict(v1::REPLICA_VERDICT_APPLIED);
  return result;
}

} // namespace bsm::memory_flow
