#include "actors/handoff_actor.hpp"

#include <caf/send.hpp>

#include "actors/cluster_ingress.hpp"
#include "actors/memory_partition.hpp"
#include "runtime/error.hpp"
#include "runtime/store/agent_state.hpp"

namespace bsm {

namespace {

using steady = std::chrono::steady_clock;

/// Agents listed from the store at a time.
constexpr size_t list_page = 64;

constexpr const char* phase_handing_off = "handing_off";
constexpr const char* phase_forwarding = "forwarding";
constexpr const char* phase_done = "done";

void report(handoff_pointer self) {
  if (auto m = self->state.env.calls.names->get(cluster_membership_path))
    self->send(caf::actor_cast<cluster_membership_actor>(*m),
               self->state.status);
}

void inc(metrics::counter* c, uint64_t n = 1) {
  if (c != nullptr && n > 0)
    c->inc(n);
}

// The agents of the next page whose memory partition this node owns as a
// member and that can move (a copy it holds of another node's agent stays
// where it is, and so does one placed on this node by name).
caf::error list_more(handoff_pointer self) {
  auto& st = self->state;
  auto page = agents_with_state(*st.env.db, st.listed_up_to, list_page);
  if (!page)
    return page.error();
  if (page->empty()) {
    st.listed_all = true;
    return caf::none;
  }
  st.listed_up_to = page->back();
  const auto& dir = *st.env.directory;
  for (auto& agent : *page) {
    auto owner = memory_owner_as(dir, agent, cluster::self_view::as_member);
    auto next = memory_owner_as(dir, agent, cluster::self_view::without_self);
    if (owner && owner->local && (!next || !next->local))
      st.queue.push_back(std::move(agent));
  }
  st.status.set_agents(st.status.agents()
                       + static_cast<uint32_t>(st.queue.size()));
  return caf::none;
}

void depart(handoff_pointer self) {
  auto& st = self->state;
  st.env.directory->set_self_role(cluster::self_role::departed);
  st.status.set_phase(phase_forwarding);
  st.env.log->info("handoff: {} agents handed over ({} entries, {} bytes); "
                   "this node now leaves and forwards what its mailboxes "
                   "hold",
                   st.status.handed(), st.status.entries(), st.status.bytes());
  report(self);
  self->send(self, atom::tick::value);
}

void copied(handoff_pointer self, state_transfer_result r) {
  auto& st = self->state;
  if (r.error) {
    st.status.set_failures(st.status.failures() + 1);
    inc(st.env.metrics.failures);
    st.env.log->warn("handoff: copying agent {} to {} failed, trying again "
                     "in {} ms: {}",
                     r.agent, r.to_node, st.env.retry_after.count(),
                     render(r.error));
    report(self);
    self->delayed_send(self, st.env.retry_after, atom::tick::value);
    return;
  }
  st.queue.erase(st.queue.begin());
  st.status.set_handed(st.status.handed() + 1);
  st.status.set_entries(st.status.entries() + r.entries);
  st.status.set_bytes(st.status.bytes() + r.bytes);
  inc(st.env.metrics.agents);
  inc(st.env.metrics.entries, r.entries);
  inc(st.env.metrics.bytes, r.bytes);
  st.env.log->info("handoff: agent {} handed to {} ({} entries, {} bytes)",
                   r.agent, r.to_node, r.entries, r.bytes);
  report(self);
  self->send(self, atom::tick::value);
}

void hand_next(handoff_pointer self) {
  auto& st = self->state;
  if (st.queue.empty() && !st.listed_all)
    if (auto err = list_more(self)) {
      st.env.log->warn("handoff: cannot list the agents with state: {}",
                       render(err));
      self->delayed_send(self, st.env.retry_after, atom::tick::value);
      return;
    }
  if (st.queue.empty()) {
    if (st.listed_all)
      return depart(self);
    self->send(self, atom::tick::value);
    return;
  }
  const auto& agent = st.queue.front();
  auto next = memory_owner_as(*st.env.directory, agent,
                              cluster::self_view::without_self);
  if (!next)
    return copied(self, {agent, "", 0, 0, 0, next.error()});
  transfer_state(
    self, st.env.calls, *st.env.db, agent, next->node, st.env.transfer,
    [self](state_transfer_result r) { copied(self, std::move(r)); });
}

// Forwarding: done once nothing waits in any mailbox or outbox for `quiet`.
void watch_mailboxes(handoff_pointer self) {
  auto& st = self->state;
  uint64_t held = 0;
  if (st.env.depths)
    for (const auto& [target, depth] : st.env.depths->snapshot())
      held += depth;
  auto now = steady::now();
  if (held > 0 || !st.empty_since)
    st.empty_since = held > 0 ? std::nullopt : std::optional{now};
  if (st.empty_since && now - *st.empty_since >= st.env.quiet) {
    st.status.set_phase(phase_done);
    st.env.log->info("handoff: done; node {} has left and may be stopped",
                     st.env.directory->self());
    report(self);
    return;
  }
  self->delayed_send(self, st.env.poll, atom::tick::value);
}

void step(handoff_pointer self) {
  const auto& phase = self->state.status.phase();
  if (phase == phase_handing_off)
    hand_next(self);
  else if (phase == phase_forwarding)
    watch_mailboxes(self);
}

caf::result<v1::LeaveResponse> start(handoff_pointer self,
                                     const v1::LeaveRequest& req) {
  auto& st = self->state;
  if (!st.status.phase().empty())
    return make_error(errc::already_exists, "node " + st.env.directory->self()
                                              + " is already leaving");
  st.env.directory->set_self_role(cluster::self_role::handing_off);
  st.status.set_phase(phase_handing_off);
  st.env.log->info("handoff: node {} leaves the cluster; handing its agents' "
                   "state to their next owners",
                   st.env.directory->self());
  report(self);
  self->delayed_send(self, st.env.settle, atom::tick::value);
  v1::LeaveResponse resp;
  resp.set_node(req.node());
  resp.set_state(v1::MEMBER_STATE_LEAVING);
  *resp.mutable_handoff() = st.status;
  return resp;
}

} // namespace

handoff_metrics handoff_metrics::make(metrics::registry& reg) {
  auto counter = [&reg](const char* name, const char* help) {
    return &reg.counter_family(name, help).with();
  };
  handoff_metrics m;
  m.agents = counter("bsm_handoff_agents_total",
                     "Agents whose state this node handed to their next "
                     "owner while leaving.");
  m.entries = counter("bsm_handoff_entries_total",
                      "Stored entries of agent state handed over.");
  m.bytes = counter("bsm_handoff_bytes_total",
                    "Key and value bytes of agent state handed over.");
  m.failures = counter("bsm_handoff_failures_total",
                       "Copies of an agent's state that failed and were "
                       "tried again.");
  return m;
}

handoff_actor::behavior_type handoff(handoff_pointer self, handoff_env env) {
  self->state.env = std::move(env);
  return {
    [self](const v1::LeaveRequest& req) { return start(self, req); },
    [self](atom::tick) { step(self); },
  };
}

} // namespace bsm
