#include "actors/cluster_membership.hpp"

#include <algorithm>

#include <caf/io/middleman.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>

#include "actors/cluster_ingress.hpp"
#include "actors/cluster_table.hpp"
#include "actors/event_bus.hpp"
#include "actors/handoff_actor.hpp"
#include "actors/remote_call.hpp"
#include "protocols/enum_label.hpp"
#include "runtime/clock.hpp"
#include "runtime/error.hpp"
#include "runtime/store/big_endian.hpp"

namespace bsm {

namespace {

using self_pointer = cluster_membership_pointer;
using steady = std::chrono::steady_clock;

std::string state_label(v1::MemberState x) {
  return enum_label(v1::MemberState_Name(x), "MEMBER_STATE_");
}

v1::MemberRecord self_record(self_pointer self) {
  const auto& dir = *self->state.env.directory;
  v1::MemberRecord rec;
  rec.set_name(dir.self());
  rec.set_cluster_address(dir.self_cluster_address());
  rec.set_http_address(dir.self_http_address());
  rec.set_incarnation(dir.incarnation());
  rec.set_agents(static_cast<uint32_t>(dir.owned_placements()));
  for (auto& [path, handle] : self->state.env.names->list())
    rec.add_names(path);
  return rec;
}

void publish(self_pointer self, const std::string& topic, nlohmann::json data) {
  auto bus = self->state.env.names->get(event_bus_path);
  if (!bus)
    return;
  v1::PublishRequest req;
  auto* ev = req.mutable_event();
  ev->set_topic(topic);
  ev->set_time_unix_ms(unix_now_ms());
  ev->set_source(cluster_membership_path);
  ev->set_data_json(data.dump());
  self->send(caf::actor_cast<event_bus_actor>(*bus), std::move(req));
}

void report(self_pointer self, const std::vector<cluster::transition>& ts) {
  auto& st = self->state;
  for (const auto& t : ts) {
    auto to = state_label(t.to);
    const auto* m = st.table->find(t.name);
    auto address = m ? m->record.cluster_address() : std::string{};
    st.env.log->info("cluster: member {} ({}, incarnation {}) is {}", t.name,
                     address, t.incarnation, to);
    publish(self, "cluster.member." + to,
            {{"name", t.name},
             {"address", address},
             {"incarnation", t.incarnation},
             {"from", state_label(t.from)}});
  }
}

// Writes the member table and the connections into the directory that
// every send reads.
void publish_view(self_pointer self) {
  auto& st = self->state;
  std::vector<cluster::member_info> members;
  for (const auto& [name, m] : st.table->members()) {
    cluster::member_info info;
    info.record = m.record;
    info.state = m.state;
    info.last_seen_unix_ms = m.last_seen_unix_ms;
    info.dead_up_to = m.dead_up_to;
    members.push_back(std::move(info));
  }
  st.env.directory->set_members(std::move(members));
  for (const auto& [address, p] : st.peers)
    if (!p.name.empty())
      st.env.directory->set_connection(p.name, p.handle);
  auto before = st.env.directory->join();
  auto now = st.join->update(steady::now());
  st.env.directory->set_join(now);
  if (before == cluster::join_state::joining && now != before)
    st.env.log->info("cluster: joined, with {} other members known",
                     st.table->members().size());
}

// A raised incarnation makes every member take this node as a new run.
void raise_incarnation(self_pointer self, const std::string& why) {
  auto& st = self->state;
  st.raised_at = steady::now();
  auto next = st.env.directory->incarnation() + 1;
  st.env.directory->set_incarnation(next);
  st.env.log->warn("cluster: {}; incarnation is now {}", why, next);
  publish(self, "cluster.self.rejoined",
          {{"name", st.env.directory->self()},
           {"incarnation", next},
           {"reason", why}});
  if (!st.env.writer)
    return;
  auto err = st.env.writer->submit(
    [db = st.env.db, next](rocksdb::WriteBatch& batch) {
      std::string value;
      append_big_endian(value, next);
      return batch.Put(db->handle(column::meta), incarnation_key, value);
    },
    [log = st.env.log, next](const caf::error& e) {
      if (e)
        log->error("cluster: cannot keep incarnation {}: {}", next, render(e));
    });
  if (err)
    st.env.log->error("cluster: cannot keep incarnation {}: {}", next,
                      render(err));
}

void learn_address(self_pointer self, const std::string& address) {
  auto& st = self->state;
  if (address.empty() || address == st.env.directory->self_cluster_address())
    return;
  st.peers.try_emplace(address);
}

void connect(self_pointer self, const std::string& address) {
  auto& st = self->state;
  auto& p = st.peers[address];
  if (p.handle || p.connecting)
    return;
  auto hp = cluster::split_host_port(address);
  if (!hp) {
    st.env.log->error("cluster: cannot connect to '{}': not host:port",
                      address);
    return;
  }
  p.connecting = true;
  auto mm = st.env.transport ? st.env.transport
                             : self->home_system().middleman().actor_handle();
  self
    ->request(mm, st.env.opts.connect_timeout, caf::connect_atom::value,
              hp->first, hp->second)
    .then(
      [self, address](const caf::node_id&, caf::strong_actor_ptr& ptr,
                      const std::set<std::string>&) {
        auto& peer = self->state.peers[address];
        peer.connecting = false;
        if (!ptr)
          return;
        peer.handle = caf::actor_cast<caf::actor>(ptr);
        self->monitor(peer.handle);
        self->state.env.log->debug("cluster: connected to {}", address);
        publish_view(self);
      },
      [self, address](caf::error& err) {
        self->state.peers[address].connecting = false;
        self->state.env.log->debug("cluster: cannot connect to {}: {}", address,
                                   render(err));
      });
}

/// What a heartbeat says about its sender's run.
enum class departure { none, stopping };

void send_heartbeats(self_pointer self, departure how) {
  auto& st = self->state;
  auto me = self_record(self);
  v1::Heartbeat hb;
  *hb.mutable_from() = me;
  hb.set_stopping(how == departure::stopping);
  // A decommission under way: the hand-off first, then the leave itself.
  auto role = st.env.directory->role();
  hb.set_handing_off(role == cluster::self_role::handing_off);
  hb.set_leaving(role == cluster::self_role::departed);
  for (const auto& [name, m] : st.table->members()) {
    auto* k = hb.add_known();
    k->set_name(name);
    k->set_cluster_address(m.record.cluster_address());
    k->set_incarnation(m.record.incarnation());
    k->set_state(m.state);
  }
  for (const auto& [address, p] : st.peers) {
    if (!p.handle)
      continue;
    auto copy = hb;
    if (const auto* m = p.name.empty() ? nullptr : st.table->find(p.name)) {
      copy.set_your_state(m->state);
      copy.set_your_incarnation(m->record.incarnation());
    }
    caf::anon_send(caf::actor_cast<cluster_ingress_actor>(p.handle),
                   std::move(copy));
  }
}

void poll_table(self_pointer self) {
  auto& st = self->state;
  if (!st.redis || st.redis_busy)
    return;
  st.redis_busy = true;
  v1::Heartbeat req;
  *req.mutable_from() = self_record(self);
  // Longer than the worker's own worst case (a connect and a command, each
  // bounded by connect_timeout, and one retry), so calls never pile up in
  // its mailbox while Redis is unreachable.
  self->request(st.redis, st.env.opts.connect_timeout * 5, std::move(req))
    .then(
      [self](v1::Heartbeat& resp) {
        auto& state = self->state;
        state.redis_busy = false;
        auto now = steady::now();
        state.join->table_read();
        for (const auto& rec : resp.known()) {
          state.table->learn(rec);
          state.join->reported(rec.name(), rec.state(), now);
          learn_address(self, rec.cluster_address());
        }
        publish_view(self);
      },
      [self](caf::error& err) {
        self->state.redis_busy = false;
        self->state.env.log->warn("cluster: membership table: {}", render(err));
      });
}

void tick(self_pointer self) {
  auto& st = self->state;
  auto now = steady::now();
  auto late = now - st.last_tick;
  st.last_tick = now;
  self->delayed_send(self, st.env.opts.heartbeat_interval, atom::tick::value);
  if (st.env.directory->self_cluster_address().empty())
    return; // not listening yet
  if (late > st.env.opts.down_after) {
    // This node stalled for longer than the others wait: they have
    // declared it down, and their silence was its own. Rejoin as a new
    // incarnation, unless a heartbeat saying so already raised it.
    st.table->forgive_silence(now);
    if (now - st.raised_at > st.env.opts.down_after)
      raise_incarnation(
        self,
        "this node stalled for "
          + std::to_string(
            std::chrono::duration_cast<std::chrono::milliseconds>(late).count())
          + " ms");
  }
  // A seed list may name this node itself.
  st.peers.erase(st.env.directory->self_cluster_address());
  std::vector<cluster::transition> ts;
  st.table->tick(now, ts);
  report(self, ts);
  for (auto& [address, p] : st.peers)
    if (!p.handle)
      connect(self, address);
  send_heartbeats(self, departure::none);
  poll_table(self);
  publish_view(self);
}

void on_heartbeat(self_pointer self, const v1::Heartbeat& hb) {
  auto& st = self->state;
  const auto& from = hb.from();
  if (from.name() == st.env.directory->self())
    return; // a seed list naming this node itself
  std::vector<cluster::transition> ts;
  auto now = steady::now();
  if (hb.leaving())
    st.table->on_leave(from.name(), from.incarnation(), ts);
  else if (hb.stopping())
    st.table->on_stopping(from.name(), from.incarnation(), ts);
  else if (st.table->on_heartbeat(from, now, unix_now_ms(), ts,
                                  hb.handing_off()))
    st.join->heard(from.name());
  // The sender declared this very incarnation down: anything this node
  // sends under it is refused, so it becomes a new one.
  if (hb.your_state() == v1::MEMBER_STATE_DOWN
      && hb.your_incarnation() == st.env.directory->incarnation())
    raise_incarnation(self, "node " + from.name() + " declared this node down");
  if (!from.cluster_address().empty()) {
    learn_address(self, from.cluster_address());
    auto& p = st.peers[from.cluster_address()];
    p.name = from.name();
    if (!p.handle)
      connect(self, from.cluster_address());
  }
  for (const auto& k : hb.known()) {
    if (k.name() == st.env.directory->self())
      continue;
    st.join->reported(k.name(), k.state(), now);
    if (st.table->learn(k))
      learn_address(self, k.cluster_address());
  }
  report(self, ts);
  publish_view(self);
}

void on_down(self_pointer self, const caf::down_msg& msg) {
  auto& st = self->state;
  for (auto& [address, p] : st.peers) {
    if (!p.handle || p.handle.address() != msg.source)
      continue;
    p.handle = nullptr;
    if (!p.name.empty()) {
      st.env.directory->set_connection(p.name, nullptr);
      std::vector<cluster::transition> ts;
      st.table->on_connection_lost(p.name, ts);
      report(self, ts);
    }
  }
  publish_view(self);
}

v1::ClusterViewResponse view(self_pointer self) {
  auto& st = self->state;
  v1::ClusterViewResponse resp;
  resp.set_self(st.env.directory->self());
  resp.set_joined(st.env.directory->joined());
  *resp.mutable_handoff() = st.handoff;
  auto* me = resp.add_members();
  auto rec = self_record(self);
  me->set_name(rec.name());
  me->set_address(rec.cluster_address());
  switch (st.env.directory->role()) {
    case cluster::self_role::member: me->set_state(v1::MEMBER_STATE_UP); break;
    case cluster::self_role::handing_off:
      me->set_state(v1::MEMBER_STATE_LEAVING);
      break;
    case cluster::self_role::departed:
      me->set_state(v1::MEMBER_STATE_LEFT);
      break;
  }
  me->set_agents(rec.agents());
  me->set_last_seen_unix_ms(unix_now_ms());
  me->set_incarnation(rec.incarnation());
  me->set_http_address(rec.http_address());
  for (const auto& [name, m] : st.table->members()) {
    auto* x = resp.add_members();
    x->set_name(name);
    x->set_address(m.record.cluster_address());
    x->set_state(m.state);
    x->set_agents(m.record.agents());
    x->set_last_seen_unix_ms(m.last_seen_unix_ms);
    x->set_incarnation(m.record.incarnation());
    x->set_http_address(m.record.http_address());
  }
  std::sort(resp.mutable_members()->begin(), resp.mutable_members()->end(),
            [](const v1::MemberView& a, const v1::MemberView& b) {
              return a.name() < b.name();
            });
  return resp;
}

// One decommission at a time: two leaving at once would each hand their
// names to the other.
caf::error check_leave(self_pointer self, const std::string& node) {
  auto& st = self->state;
  auto busy = [](v1::MemberState x) {
    return x == v1::MEMBER_STATE_LEAVING || x == v1::MEMBER_STATE_LEFT;
  };
  if (node == st.env.directory->self()) {
    if (st.env.directory->role() != cluster::self_role::member)
      return make_error(errc::already_exists,
                        "node " + node + " is already leaving");
  } else {
    const auto* m = st.table->find(node);
    if (m == nullptr)
      return make_error(errc::not_found,
                        "no member named '" + node + "' in the cluster");
    if (busy(m->state))
      return make_error(errc::already_exists, "node " + node + " is already "
                                                + state_label(m->state));
    if (m->state == v1::MEMBER_STATE_DOWN)
      return make_error(errc::unavailable,
                        "node " + node
                          + " is down: it must run to hand its state over");
  }
  for (const auto& [name, m] : st.table->members())
    if (name != node && m.state == v1::MEMBER_STATE_LEAVING)
      return make_error(errc::already_exists,
                        "node " + name
                          + " is leaving; one decommission at a time");
  return caf::none;
}

caf::result<v1::LeaveResponse> leave(self_pointer self,
                                     const v1::LeaveRequest& req) {
  auto& st = self->state;
  if (auto err = check_leave(self, req.node()))
    return err;
  auto here = req.node() == st.env.directory->self();
  auto timeout = st.env.opts.connect_timeout;
  if (here) {
    auto worker = st.env.names->get(handoff_path);
    if (!worker)
      return make_error(errc::unavailable, "the hand-off actor is not running");
    return self->delegate(caf::actor_cast<handoff_actor>(*worker), req);
  }
  auto conn = st.env.directory->connection(req.node());
  if (!conn)
    return make_error(errc::unavailable,
                      "node " + req.node() + " is not connected");
  remote_call_env calls;
  calls.names = st.env.names;
  calls.directory = st.env.directory;
  calls.types = st.env.types;
  auto ask = make_remote_ask(calls, cluster_membership_path,
                             caf::make_message(req), timeout);
  if (!ask)
    return ask.error();
  auto rp = self->make_response_promise<v1::LeaveResponse>();
  self
    ->request(caf::actor_cast<cluster_ingress_actor>(conn), timeout,
              std::move(*ask))
    .then(
      [rp, calls](v1::RemoteAskResponse& resp) mutable {
        auto reply = decode_remote_reply(calls, resp);
        if (!reply)
          rp.deliver(reply.error());
        else if (!reply->match_elements<v1::LeaveResponse>())
          rp.deliver(make_error(errc::internal,
                                "a leave was answered with another type"));
        else
          rp.deliver(reply->get_as<v1::LeaveResponse>(0));
      },
      [rp](caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

} // namespace

cluster_membership_actor::behavior_type
cluster_membership(cluster_membership_pointer self,
                   cluster_membership_env env) {
  auto& st = self->state;
  st.env = std::move(env);
  cluster::detector_options det{st.env.opts.suspect_after,
                                st.env.opts.down_after};
  st.table
    = std::make_unique<cluster::member_table>(st.env.directory->self(), det);
  st.join = std::make_unique<cluster::join_rule>(
    st.env.directory->self(), has_peers(st.env.opts), st.env.opts.down_after);
  for (const auto& seed : st.env.opts.seeds)
    st.peers.try_emplace(seed);
  if (st.env.opts.membership != "static") {
    auto url = cluster::parse_redis_url(st.env.opts.membership);
    if (!url) {
      st.env.log->error("cluster: {}", render(url.error()));
    } else {
      cluster_table_options table;
      table.url = *url;
      table.ttl = st.env.opts.membership_ttl;
      table.timeout = st.env.opts.connect_timeout;
      // Detached: hiredis blocks its own thread only.
      st.redis
        = self->spawn<caf::detached>(cluster_table, table, self->address());
    }
  }
  st.last_tick = steady::now();
  self->set_down_handler([self](caf::down_msg& msg) { on_down(self, msg); });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    // A graceful stop of a node that comes back: tell the others at once
    // instead of letting them time out, and drop the liveness key from
    // the Redis table. Not a leave: the agents this node owns keep it as
    // their owner and wait for it, with their state.
    send_heartbeats(self, departure::stopping);
    if (self->state.redis) {
      v1::Heartbeat bye;
      *bye.mutable_from() = self_record(self);
      bye.set_stopping(true);
      caf::anon_send(self->state.redis, std::move(bye));
    }
    self->quit(msg.reason);
  });
  publish_view(self);
  self->send(self, atom::tick::value);
  return {
    [self](v1::Heartbeat& hb) { on_heartbeat(self, hb); },
    [self](v1::ClusterViewRequest&) { return view(self); },
    [self](atom::tick) { tick(self); },
    [self](const v1::LeaveRequest& req) { return leave(self, req); },
    [self](v1::HandoffStatus& status) {
      auto departed
        = status.phase() != self->state.handoff.phase()
          && self->state.env.directory->role() == cluster::self_role::departed;
      self->state.handoff = std::move(status);
      if (!departed)
        return;
      // Say it at once rather than at the next tick, and leave the Redis
      // table for good (the worker removes the record, then stops).
      send_heartbeats(self, departure::none);
      if (auto& redis = self->state.redis) {
        v1::Heartbeat bye;
        *bye.mutable_from() = self_record(self);
        bye.set_leaving(true);
        caf::anon_send(redis, std::move(bye));
        redis = nullptr;
      }
    },
  };
}

} // namespace bsm
