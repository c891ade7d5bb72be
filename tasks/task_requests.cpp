// The tasks actor's requests: submit, get, list, cancel and retry, each
// answered once its change is on disk (or by the member holding the task).

#include <caf/typed_response_promise.hpp>

#include "actors/member_fanout.hpp"
#include "runtime/clock.hpp"
#include "runtime/error.hpp"
#include "tasks/task_keys.hpp"
#include "tasks/task_lifecycle.hpp"
#include "tasks/task_spec.hpp"
#include "tasks/tasks_actor_detail.hpp"

namespace bsm::tasks::detail {

namespace {

caf::error not_found(const std::string& id) {
  return make_error(errc::not_found, "no task '" + id.substr(0, 100) + "'");
}

caf::expected<v1::TaskRecord> existing(self_pointer self,
                                       const std::string& id) {
  if (!valid_task_id(id))
    return not_found(id);
  auto rec = self->state.current(id);
  if (!rec)
    return rec.error();
  if (!*rec)
    return not_found(id);
  return std::move(**rec);
}

// A task stays on the node it was submitted to; asking any other node for
// it asks the members, well within the bridge's time for an answer.
constexpr std::chrono::milliseconds member_ask_timeout{3'000};

// This node's answer `miss` is not the cluster's: the member that holds
// the task answers (actors/member_fanout.hpp).
template <class Response, class Request>
caf::result<Response> from_members(self_pointer self, Request req,
                                   caf::error miss) {
  return answer_from_members<Response>(self, self->state.env.calls, tasks_path,
                                       std::move(req), std::move(miss),
                                       member_ask_timeout);
}

caf::result<v1::TaskSubmitResponse> submit_existing(self_pointer self,
                                                    const std::string& id) {
  auto rec = existing(self, id);
  if (!rec)
    return rec.error();
  v1::TaskSubmitResponse resp;
  *resp.mutable_task() = std::move(*rec);
  resp.set_existed(true);
  return resp;
}

// The continuation of a write that leaves a task waiting (a submit, a
// retry): once it is on disk the scheduler has it, `rp` gets it, and what
// may start starts.
template <class Response>
then_fn answer_waiting(self_pointer self,
                       caf::typed_response_promise<Response> rp) {
  return
    [self, rp](const caf::error& err, const v1::TaskRecord& written) mutable {
      if (err) {
        rp.deliver(err);
        return;
      }
      self->state.sched.add(scheduled(written));
      Response resp;
      *resp.mutable_task() = written;
      rp.deliver(std::move(resp));
      pump(self);
    };
}

void signal_cancel(self_pointer self, const v1::TaskRecord& rec,
                   const std::string& key) {
  if (rec.spec().agent().empty())
    return; // A message asked of an actor cannot be called back.
  v1::TurnCancelRequest req;
  req.set_agent(rec.spec().agent());
  req.set_turn_id(key);
  *req.mutable_caller() = rec.submitted_by();
  ask_anywhere(
    self, self->state.env.calls, "agents/" + rec.spec().agent(),
    caf::make_message(std::move(req)), std::chrono::seconds{10},
    [](caf::message) {},
    [self, id = rec.task_id()](caf::error err) {
      // The turn may have ended already: the task is cancelled either way.
      log_of(self).debug("task {}: the turn's cancel: {}", id, render(err));
    },
    &self->state.deadlines);
}

} // namespace

caf::result<v1::TaskSubmitResponse> submit(self_pointer self,
                                           v1::TaskSubmitRequest& req) {
  auto& st = self->state;
  if (auto err = check_spec(req.spec(), *st.env.calls.types))
    return err;
  std::string index_key;
  if (!req.spec().idempotency_key().empty()) {
    index_key = idempotency_key(req.caller(), req.spec().idempotency_key());
    auto found = st.task_of_key(index_key);
    if (!found)
      return found.error();
    if (*found)
      return submit_existing(self, **found);
  }
  if (st.sched.waiting() + st.submitting >= st.env.opts.max_queued)
    return make_error(errc::resource_exhausted,
                      "the task queue is full ("
                        + std::to_string(st.env.opts.max_queued)
                        + " tasks waiting)");
  auto target = target_of(req.spec());
  if (auto route = route_call(st.env.calls, target);
      !route && is(route.error(), errc::not_found))
    return route.error();
  auto now = unix_now_ms();
  v1::TaskRecord rec;
  rec.set_task_id(
    make_task_id(now, static_cast<uint32_t>(st.env.random() * 4294967296.0)));
  *rec.mutable_spec()
    = with_defaults(std::move(*req.mutable_spec()), st.env.opts);
  rec.set_state(v1::TASK_STATE_QUEUED);
  rec.set_created_unix_ms(now);
  rec.set_updated_unix_ms(now);
  rec.set_node(st.env.node_name);
  *rec.mutable_submitted_by() = req.caller();
  auto rp = self->make_response_promise<v1::TaskSubmitResponse>();
  ++st.submitting;
  // Ready, with a free slot and nothing of its target waiting before it:
  // stored as started by the write that stores it, one move fewer.
  if (!st.loading && ready_at(rec) <= now && st.sched.try_occupy(target, now)) {
    if (auto started = started_at(self, rec, now)) {
      if (st.env.metrics)
        st.env.metrics->wait->observe(0.0);
      auto key = attempt_key(*started);
      write(self, std::move(*started), std::nullopt, index_key,
            [self, rp, key, target](const caf::error& err,
                                    const v1::TaskRecord& written) mutable {
              --self->state.submitting;
              if (err) {
                self->state.sched.release(target);
                rp.deliver(err);
                return pump(self);
              }
              v1::TaskSubmitResponse resp;
              *resp.mutable_task() = written;
              rp.deliver(std::move(resp));
              launch(self, written, key, target);
            });
      return rp;
    }
    st.sched.release(target);
  }
  write(self, std::move(rec), std::nullopt, index_key,
        [self, answer = answer_waiting(self, rp)](
          const caf::error& err, const v1::TaskRecord& written) {
          --self->state.submitting;
          answer(err, written);
        });
  return rp;
}

caf::result<v1::TaskCancelResponse>
cancel_task(self_pointer self, const v1::TaskCancelRequest& req) {
  auto rec = existing(self, req.task_id());
  if (!rec)
    return from_members<v1::TaskCancelResponse>(self, req, rec.error());
  auto done = cancel(*rec, unix_now_ms());
  if (!done)
    return done.error();
  auto& st = self->state;
  // Not started meanwhile; if the write fails it waits again.
  std::optional<scheduled_task> was_waiting;
  if (st.sched.remove(rec->task_id()))
    was_waiting = scheduled(*rec);
  auto rp = self->make_response_promise<v1::TaskCancelResponse>();
  write(self, std::move(*done), place_of(*rec), {},
        [self, rp, was_waiting](const caf::error& err,
                                const v1::TaskRecord& written) mutable {
          auto& state = self->state;
          if (err) {
            if (was_waiting)
              state.sched.add(*was_waiting);
            rp.deliver(err);
            return;
          }
          if (auto r = state.running.find(written.task_id());
              r != state.running.end()) {
            auto key = r->second.key;
            state.sched.release(r->second.target);
            state.running.erase(r);
            signal_cancel(self, written, key);
          }
          v1::TaskCancelResponse resp;
          *resp.mutable_task() = written;
          rp.deliver(std::move(resp));
          pump(self);
        });
  return rp;
}

caf::result<v1::TaskRetryResponse> retry_task(self_pointer self,
                                              const v1::TaskRetryRequest& req) {
  auto rec = existing(self, req.task_id());
  if (!rec)
    return from_members<v1::TaskRetryResponse>(self, req, rec.error());
  auto again = retry(*rec, unix_now_ms());
  if (!again)
    return again.error();
  auto rp = self->make_response_promise<v1::TaskRetryResponse>();
  write(self, std::move(*again), place_of(*rec), {}, answer_waiting(self, rp));
  return rp;
}

caf::result<v1::TaskListResponse> list_tasks(self_pointer self,
                                             const v1::TaskListRequest& req) {
  const auto& opts = self->state.env.opts;
  list_query q;
  q.state = req.state();
  q.agent = req.agent();
  q.label = req.label();
  q.limit = std::clamp<uint32_t>(req.limit() == 0 ? 100 : req.limit(), 1,
                                 opts.list_limit_max);
  q.after = req.after();
  auto page = list_records(*self->state.env.db, q);
  if (!page)
    return page.error();
  return std::move(*page);
}

caf::result<v1::TaskGetResponse> get_task(self_pointer self,
                                          const v1::TaskGetRequest& req) {
  auto rec = existing(self, req.task_id());
  if (!rec)
    return from_members<v1::TaskGetResponse>(self, req, rec.error());
  v1::TaskGetResponse resp;
  *resp.mutable_task() = std::move(*rec);
  return resp;
}

} // namespace bsm::tasks::detail
