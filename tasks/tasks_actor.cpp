#include "tasks/tasks_actor.hpp"

#include <map>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>

#include "actors/event_publish.hpp"
#include "runtime/clock.hpp"
#include "runtime/error.hpp"
#include "runtime/messages/handled_types.hpp"
#include "runtime/retry_after.hpp"
#include "tasks/task_keys.hpp"
#include "tasks/task_lifecycle.hpp"
#include "tasks/task_spec.hpp"
#include "tasks/tasks_actor_detail.hpp"

namespace bsm::tasks {

namespace detail {

// A lease outlives its attempt's timeout by this much: the attempt's own
// answer (or its timeout) ends it first.
constexpr int64_t lease_grace_ms = 30'000;

// An ask outlives the attempt's timeout a little, so the target's own
// deadline answers first.
constexpr std::chrono::milliseconds ask_grace{2'000};

void pump(self_pointer self);
void defer(self_pointer self, v1::TaskRecord rec, int64_t wait_ms,
           std::string why);

spdlog::logger& log_of(self_pointer self) {
  return *self->state.env.log;
}

scheduled_task scheduled(const v1::TaskRecord& rec) {
  scheduled_task t;
  t.id = rec.task_id();
  t.target = target_of(rec.spec());
  t.priority = rec.spec().priority();
  t.ready_at = ready_at(rec);
  t.deadline = rec.spec().deadline_unix_ms();
  return t;
}

void publish(self_pointer self, const v1::TaskRecord& rec) {
  const auto& env = self->state.env;
  publish_event(
    self, *env.calls.names, env.topics.get(),
    std::string{"task."} + state_name(rec.state()), tasks_path, [&rec] {
      nlohmann::json data{{"task_id", rec.task_id()},
                          {"state", state_name(rec.state())},
                          {"attempts", rec.attempts()},
                          {"priority", rec.spec().priority()}};
      if (!rec.spec().agent().empty())
        data["agent"] = rec.spec().agent();
      else
        data["actor"] = rec.spec().actor();
      if (!rec.error().empty())
        data["error"] = rec.error();
      return data.dump();
    });
}

// Tells the task's `notify` actor (a workflow waiting on it) that it
// ended. At most once: the told actor reads the task again after its own
// restart.
void notify_end(self_pointer self, const v1::TaskRecord& rec) {
  if (rec.spec().notify().empty())
    return;
  auto target = self->state.env.calls.names->get(rec.spec().notify());
  if (!target)
    return;
  v1::TaskFinished msg;
  *msg.mutable_task() = rec;
  caf::anon_send(*target, std::move(msg));
}

void write(self_pointer self, v1::TaskRecord rec,
           std::optional<index_place> prior, std::string index_key,
           then_fn then) {
  auto before = prior ? prior->state : v1::TASK_STATE_UNSPECIFIED;
  auto& st = self->state;
  auto stored = std::make_shared<const v1::TaskRecord>(std::move(rec));
  const auto& id = stored->task_id();
  auto& slot = st.unwritten[id];
  slot.first = stored;
  ++slot.second;
  if (!index_key.empty())
    st.unwritten_keys[index_key] = id;
  auto done = [self, stored, index_key, before,
               then = std::move(then)](const caf::error& err) {
    auto& state = self->state;
    const auto& written = *stored;
    if (auto i = state.unwritten.find(written.task_id());
        i != state.unwritten.end() && --i->second.second == 0)
      state.unwritten.erase(i);
    if (!index_key.empty())
      state.unwritten_keys.erase(index_key);
    if (!err) {
      if (state.env.metrics)
        state.env.metrics->moved(before, written.state(),
                                 written.spec().priority());
      if (before != written.state())
        publish(self, written);
      if (before != written.state() && is_final(written.state()))
        notify_end(self, written);
    }
    then(err, written);
  };
  auto* db = st.env.db;
  // Read on the writer's thread too: the record is not changed again.
  auto fill = [db, stored = std::move(stored), prior,
               index_key](rocksdb::WriteBatch& batch) {
    if (!index_key.empty())
      if (auto s = put_idempotency(batch, *db, index_key, stored->task_id());
          !s.ok())
        return s;
    return put_record(batch, *db, *stored, prior);
  };
  st.writes.submit(*st.env.writer, caf::actor_cast<tasks_actor>(self),
                   std::move(fill), std::move(done));
}

// Arms the tick for the scheduler's next event unless one comes earlier.
void arm(self_pointer self) {
  auto& st = self->state;
  auto next = st.sched.next_event();
  if (!next || (st.tick_at && *st.tick_at <= *next))
    return;
  auto wait = std::max<int64_t>(*next - unix_now_ms(), 0);
  st.tick_at = *next;
  self->delayed_send(self, std::chrono::milliseconds{wait}, atom::tick::value);
}

// -- ending an attempt --------------------------------------------------------

struct outcome {
  bool ok = false;
  std::string text;
  std::string session_id;
  caf::error err;
};

void settle(self_pointer self, const std::string& id, const std::string& key,
            outcome out) {
  auto& st = self->state;
  auto r = st.running.find(id);
  // Cancelled meanwhile, or an answer of an attempt given up on.
  if (r == st.running.end() || r->second.key != key)
    return;
  auto attempt = std::move(r->second);
  st.running.erase(r);
  st.sched.release(attempt.target);
  auto now = unix_now_ms();
  if (st.env.metrics)
    st.env.metrics->run->observe(static_cast<double>(now - attempt.started)
                                 / 1000.0);
  // The record as the attempt started, unless a write of it is in flight.
  const auto* newer = st.in_flight(id);
  auto before = newer ? *newer : std::move(attempt.rec);
  if (before.state() != v1::TASK_STATE_RUNNING) {
    pump(self);
    return;
  }
  if (!out.session_id.empty())
    before.set_session_id(out.session_id);
  if (auto wait = out.ok ? std::nullopt : retry_after_of(out.err)) {
    // Refused until a known time (a model budget refills): not a failure,
    // the same attempt runs then (its turn appended nothing).
    if (st.env.metrics)
      st.env.metrics->deferred->inc();
    return defer(self, std::move(before), wait->count(),
                 "refused, runs again in "
                   + std::to_string(retry_after_seconds(*wait))
                   + " s: " + render(out.err));
  }
  caf::expected<v1::TaskRecord> next{v1::TaskRecord{}};
  if (out.ok) {
    next = succeed(before, std::move(out.text), now);
  } else {
    backoff_policy policy{
      std::chrono::milliseconds{before.spec().backoff_initial_ms()},
      std::chrono::milliseconds{before.spec().backoff_max_ms()}};
    auto wait = backoff_delay(policy, before.attempts(), st.env.random);
    next = fail(before, render(out.err), retryable(out.err), wait.count(), now);
  }
  if (!next) {
    log_of(self).error("task {}: {}", id, render(next.error()));
    pump(self);
    return;
  }
  write(self, std::move(*next), place_of(before), {},
        [self](const caf::error& err, const v1::TaskRecord& rec) {
          if (err)
            log_of(self).error("task {}: cannot store its end: {}",
                               rec.task_id(), render(err));
          else if (rec.state() == v1::TASK_STATE_FAILED)
            self->state.sched.add(scheduled(rec));
          pump(self);
        });
}

// -- running an attempt
// --------------------------------------------------------

void run_chat(self_pointer self, const v1::TaskRecord& rec,
              const std::string& key, std::chrono::milliseconds timeout) {
  v1::ChatRequest req;
  req.set_agent(rec.spec().agent());
  req.set_input(rec.spec().input());
  // A later attempt continues the session the first one opened.
  req.set_session_id(rec.session_id().empty() ? rec.spec().session_id()
                                              : rec.session_id());
  req.set_turn_id(key);
  // The same at every run of this attempt: a run repeated after a crash
  // answers what the first stored (ARCHITECTURE §5).
  req.set_delivery_id(key);
  req.set_timeout_ms(static_cast<uint32_t>(timeout.count()));
  *req.mutable_caller() = rec.submitted_by();
  auto id = rec.task_id();
  ask_agent_anywhere(
    self, self->state.env.calls, std::move(req), timeout + ask_grace,
    [self, id, key](const v1::ChatReply& reply) {
      settle(self, id, key, {true, reply.output(), reply.session_id(), {}});
    },
    [self, id, key](caf::error err) {
      settle(self, id, key, {false, {}, {}, std::move(err)});
    },
    &self->state.deadlines);
}

void run_message(self_pointer self, const v1::TaskRecord& rec,
                 const std::string& key, std::chrono::milliseconds timeout) {
  const auto& env = self->state.env;
  auto id = rec.task_id();
  auto msg
    = env.calls.types->decode(rec.spec().type_name(), rec.spec().payload());
  if (!msg)
    return settle(self, id, key, {false, {}, {}, msg.error()});
  ask_anywhere(
    self, env.calls, rec.spec().actor(), std::move(*msg), timeout,
    [self, id, key](caf::message reply) {
      auto json = self->state.env.calls.types->encode_json(reply);
      if (!json)
        return settle(self, id, key, {false, {}, {}, json.error()});
      settle(self, id, key, {true, json->bytes, {}, {}});
    },
    [self, id, key](caf::error err) {
      settle(self, id, key, {false, {}, {}, std::move(err)});
    },
    &self->state.deadlines);
}

// How long a task whose target is not reachable waits before it tries
// again (its attempt not counted as run).
constexpr int64_t unreachable_wait_ms = 1'000;

// The attempt did not run, or its target refused it until a known time (a
// spent budget refills): the task waits again with the same attempt, for
// `wait_ms`, its error saying why. Its slot is already free.
void defer(self_pointer self, v1::TaskRecord rec, int64_t wait_ms,
           std::string why) {
  auto now = unix_now_ms();
  auto again = recover(rec, now);
  if (!again)
    return pump(self);
  again->set_next_run_unix_ms(now + wait_ms);
  again->set_error(std::move(why));
  write(self, std::move(*again), place_of(rec), {},
        [self](const caf::error& err, const v1::TaskRecord& written) {
          if (err)
            log_of(self).error("task {}: cannot queue it again: {}",
                               written.task_id(), render(err));
          else
            self->state.sched.add(scheduled(written));
          pump(self);
        });
}

// `written`, a task's start, is on disk (called in its write's
// completion): runs the attempt unless the task moved on since.
void launch(self_pointer self, v1::TaskRecord written, const std::string& key,
            const std::string& target) {
  auto& st = self->state;
  auto id = written.task_id();
  // A write handed over after it (a cancel) is still in flight, else the
  // start is the newest record: no read of the store.
  if (const auto* newer = st.in_flight(id))
    written = *newer;
  if (written.state() != v1::TASK_STATE_RUNNING
      || attempt_key(written) != key) {
    st.sched.release(target);
    return pump(self);
  }
  if (auto route = route_call(st.env.calls, target); !route) {
    st.sched.release(target);
    return defer(self, std::move(written), unreachable_wait_ms,
                 "not started: " + render(route.error()));
  }
  if (st.env.metrics)
    st.env.metrics->attempts->inc();
  std::chrono::milliseconds timeout{written.spec().timeout_ms()};
  // A copy: an attempt that fails at once ends (and drops its entry)
  // before run_* returns.
  st.running[id] = running_attempt{target, key, unix_now_ms(), written};
  if (written.spec().agent().empty())
    run_message(self, written, key, timeout);
  else
    run_chat(self, written, key, timeout);
}

// `rec` started at `now` by this node, holding a lease.
caf::expected<v1::TaskRecord>
started_at(self_pointer self, const v1::TaskRecord& rec, int64_t now) {
  auto timeout = int64_t{rec.spec().timeout_ms()};
  return start(
    rec, lease{self->state.lease_owner, now + timeout + lease_grace_ms}, now);
}

void start_task(self_pointer self, const scheduled_task& t, int64_t now) {
  auto& st = self->state;
  auto rec = st.current(t.id);
  if (!rec || !*rec) {
    log_of(self).error("task {} is gone from the store: {}", t.id,
                       rec ? "no record" : render(rec.error()));
    st.sched.release(t.target);
    return;
  }
  auto started = started_at(self, **rec, now);
  if (!started) {
    st.sched.release(t.target);
    return;
  }
  if (st.env.metrics)
    st.env.metrics->wait->observe(
      static_cast<double>(std::max<int64_t>(now - t.ready_at, 0)) / 1000.0);
  auto key = attempt_key(*started);
  write(self, std::move(*started), place_of(**rec), {},
        [self, t, key](const caf::error& err, const v1::TaskRecord& written) {
          if (!err)
            return launch(self, written, key, t.target);
          log_of(self).warn("task {}: cannot store its start, again in 1s: {}",
                            t.id, render(err));
          self->state.sched.release(t.target);
          auto again = t;
          again.ready_at = unix_now_ms() + 1'000;
          self->state.sched.add(again);
          arm(self);
        });
}

void expire_task(self_pointer self, const scheduled_task& t, int64_t now) {
  auto rec = self->state.current(t.id);
  if (!rec || !*rec)
    return;
  auto dead = expire(**rec, now);
  if (!dead)
    return;
  write(self, std::move(*dead), place_of(**rec), {},
        [self, t](const caf::error& err, const v1::TaskRecord&) {
          if (err) {
            log_of(self).error("task {}: cannot store its expiry: {}", t.id,
                               render(err));
            self->state.sched.add(t);
            arm(self);
          }
        });
}

// Expires what passed its deadline, starts what may start, arms the tick.
void pump(self_pointer self) {
  auto& st = self->state;
  auto now = unix_now_ms();
  for (const auto& t : st.sched.expire(now))
    expire_task(self, t, now);
  for (const auto& t : st.sched.take(now))
    start_task(self, t, now);
  arm(self);
}

// -- start
// ---------------------------------------------------------------------

// Waiting tasks read from the ready index per slice at start: the
// earliest ready come first and start while the rest loads.
constexpr size_t recovery_slice = 20'000;

// Loads the next slice of the ready index into the scheduler, starts what
// may start, and asks for the next slice unless the index ended.
void load_waiting(self_pointer self) {
  auto& st = self->state;
  // Tasks loaded by state and priority, for the depth gauges.
  std::map<std::pair<v1::TaskState, uint32_t>, int64_t> loaded;
  auto next = read_ready(
    *st.env.db, st.ready_cursor, recovery_slice, [&](ready_entry&& e) {
      const auto& id = e.task.id;
      // Moved on (or added) since this start: memory knows better.
      if (st.sched.contains(id) || st.unwritten.count(id) != 0
          || st.running.count(id) != 0)
        return;
      ++loaded[{e.state, e.task.priority}];
      st.sched.add(std::move(e.task));
    });
  if (st.env.metrics)
    for (const auto& [key, n] : loaded)
      st.env.metrics->loaded(key.first, key.second, n);
  if (!next) {
    // Nothing runs until the store reads: the supervisor restarts us.
    log_of(self).error("cannot read the waiting tasks: {}",
                       render(next.error()));
    self->quit(next.error());
    return;
  }
  pump(self);
  st.ready_cursor = std::move(*next);
  if (!st.ready_cursor.empty()) {
    // Requests queued meanwhile are served between slices.
    self->send(self, atom::reload::value);
    return;
  }
  st.loading = false;
  log_of(self).info("tasks: {} waiting", st.sched.waiting());
}

// Running tasks were cut with their incarnation (or this actor's) and run
// their attempt again; the waiting ones wait here again (load_waiting).
void recover_tasks(self_pointer self) {
  auto& st = self->state;
  if (st.env.metrics)
    for (auto state :
         {v1::TASK_STATE_QUEUED, v1::TASK_STATE_RUNNING, v1::TASK_STATE_FAILED})
      for (uint32_t p = 0; p <= max_priority; ++p)
        st.env.metrics->depth->with({state_name(state), std::to_string(p)})
          .set(0);
  auto now = unix_now_ms();
  size_t recovered = 0;
  auto err = ensure_ready_index(*st.env.db);
  if (!err)
    err = for_each_in(
      *st.env.db, v1::TASK_STATE_RUNNING, [&](v1::TaskRecord&& rec) {
        if (st.env.metrics)
          st.env.metrics->moved(v1::TASK_STATE_UNSPECIFIED, rec.state(),
                                rec.spec().priority());
        auto again = recover(rec, now);
        if (!again)
          return;
        ++recovered;
        write(self, std::move(*again), place_of(rec), {},
              [self](const caf::error& werr, const v1::TaskRecord& written) {
                if (werr) {
                  log_of(self).error("task {}: cannot queue it again: {}",
                                     written.task_id(), render(werr));
                  return;
                }
                self->state.sched.add(scheduled(written));
                pump(self);
              });
      });
  if (err) {
    // Nothing runs until the store reads: the supervisor restarts us.
    log_of(self).error("cannot read the tasks: {}", render(err));
    self->quit(err);
    return;
  }
  if (recovered > 0)
    log_of(self).info("tasks: {} cut by a stop run again", recovered);
  st.loading = true;
  load_waiting(self);
}

} // namespace detail

caf::expected<std::optional<v1::TaskRecord>>
tasks_state::current(const std::string& id) const {
  if (const auto* rec = in_flight(id))
    return std::optional<v1::TaskRecord>{*rec};
  return read_record(*env.db, id);
}

const v1::TaskRecord* tasks_state::in_flight(const std::string& id) const {
  auto i = unwritten.find(id);
  return i == unwritten.end() ? nullptr : i->second.first.get();
}

caf::expected<std::optional<std::string>>
tasks_state::task_of_key(const std::string& index_key) const {
  if (auto i = unwritten_keys.find(index_key); i != unwritten_keys.end())
    return std::optional<std::string>{i->second};
  return read_idempotency(*env.db, index_key);
}

tasks_actor::behavior_type tasks_service(detail::self_pointer self,
                                         tasks_env env) {
  auto& st = self->state;
  if (!env.random)
    env.random = default_random_source();
  st.lease_owner = env.node_name + "#" + std::to_string(env.incarnation);
  scheduler_options sched;
  sched.aging_step = env.opts.aging_step;
  sched.concurrency = env.opts.concurrency;
  sched.limits = target_limits(env.opts);
  st.sched = task_scheduler{std::move(sched)};
  st.env = std::move(env);
  detail::recover_tasks(self);
  return {
    [self](v1::TaskSubmitRequest& req) { return detail::submit(self, req); },
    [self](const v1::TaskGetRequest& req) {
      return detail::get_task(self, req);
    },
    [self](const v1::TaskListRequest& req) {
      return detail::list_tasks(self, req);
    },
    [self](const v1::TaskCancelRequest& req) {
      return detail::cancel_task(self, req);
    },
    [self](const v1::TaskRetryRequest& req) {
      return detail::retry_task(self, req);
    },
    [self](atom::applied, uint64_t token, const caf::error& err) {
      self->state.writes.complete(token, err);
    },
    [self](atom::tick) {
      self->state.tick_at.reset();
      detail::pump(self);
    },
    [self](atom::reload) {
      if (self->state.loading)
        detail::load_waiting(self);
    },
    [self](atom::deadline) { self->state.deadlines.on_timer(self); },
  };
}

child_spec tasks_child(tasks_env env,
                       std::chrono::milliseconds shutdown_timeout) {
  child_spec spec;
  spec.name = tasks_path;
  spec.handles = handled_types<tasks_actor>();
  spec.shutdown_timeout = shutdown_timeout;
  spec.start
    = [env = std::move(env)](caf::actor_system& sys,
                             const std::string&) -> caf::expected<caf::actor> {
    // Detached: its store reads block its own thread only.
    return caf::actor_cast<caf::actor>(
      sys.spawn<caf::detached>(tasks_service, env));
  };
  return spec;
}

} // namespace bsm::tasks
