#include "runtime/supervision/supervisor.hpp"

#include <algorithm>

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "protocols/caf_types.hpp"
#include "protocols/enum_label.hpp"
#include "runtime/clock.hpp"
#include "runtime/error.hpp"

namespace bsm {

namespace {

v1::RestartStrategy to_proto(restart_strategy x) {
  switch (x) {
    case restart_strategy::one_for_one: return v1::RESTART_STRATEGY_ONE_FOR_ONE;
    case restart_strategy::one_for_all: return v1::RESTART_STRATEGY_ONE_FOR_ALL;
    case restart_strategy::rest_for_one:
      return v1::RESTART_STRATEGY_REST_FOR_ONE;
  }
  return v1::RESTART_STRATEGY_UNSPECIFIED;
}

v1::RestartType to_proto(restart_type x) {
  switch (x) {
    case restart_type::permanent: return v1::RESTART_TYPE_PERMANENT;
    case restart_type::transient: return v1::RESTART_TYPE_TRANSIENT;
    case restart_type::temporary: return v1::RESTART_TYPE_TEMPORARY;
  }
  return v1::RESTART_TYPE_UNSPECIFIED;
}

std::string display_path(const std::string& path) {
  return path.empty() ? "root" : path;
}

} // namespace

// -- life cycle ---------------------------------------------------------------

caf::error supervisor_state::start_all() {
  for (size_t i = 0; i < children.size(); ++i) {
    if (auto err = start_child(i))
      return make_error(errc::failed_precondition,
                        "child '" + children[i].path
                          + "' failed to start: " + render(err));
    emit(v1::SupervisionEvent::KIND_CHILD_STARTED, children[i]);
  }
  return caf::none;
}

caf::error supervisor_state::start_child(size_t index) {
  auto& child = children[index];
  ++child.generation;
  child.stop_requested = false;
  auto handle = child.spec.start(self->home_system(), child.path);
  if (!handle)
    return handle.error();
  if (!*handle)
    return make_error(errc::internal, "factory returned no actor");
  child.handle = std::move(*handle);
  child.state = v1::CHILD_STATE_RUNNING;
  self->monitor(child.handle);
  if (env.names)
    if (auto err = env.names->put(child.path, child.handle, child.spec.handles))
      return err;
  refresh_live();
  return caf::none;
}

void supervisor_state::on_child_down(const caf::down_msg& msg) {
  auto index = find(msg.source);
  if (!index)
    return;
  auto& child = children[*index];
  if (env.names)
    env.names->erase(child.path, msg.source);
  child.handle = nullptr;
  child.state = child.restart_pending ? v1::CHILD_STATE_RESTARTING
                                      : v1::CHILD_STATE_STOPPED;
  refresh_live();
  if (child.stop_requested) {
    child.stop_requested = false;
    emit(v1::SupervisionEvent::KIND_CHILD_STOPPED, child, msg.reason);
    if (stopping && stopping->current == *index)
      stop_next();
    return;
  }
  auto kind = is_normal_exit(msg.reason)
                ? v1::SupervisionEvent::KIND_CHILD_STOPPED
                : v1::SupervisionEvent::KIND_CHILD_CRASHED;
  emit(kind, child, msg.reason);
  // A child that dies while its group restart is already scheduled is
  // restarted with the group; handling it again would restart twice.
  if (shutting_down || child.restart_pending)
    return;
  if (stopping) {
    deferred.emplace_back(*index, msg.reason);
    return;
  }
  handle_failure(*index, msg.reason);
}

void supervisor_state::on_exit_request(const caf::exit_msg& msg) {
  if (shutting_down)
    return;
  shutting_down = true;
  cancel_pending_restarts();
  auto reason = msg.reason;
  stop_children(running_newest_first(), [this, reason] { self->quit(reason); });
}

// -- restarts -----------------------------------------------------------------

void supervisor_state::handle_failure(size_t index, const caf::error& reason) {
  auto& child = children[index];
  if (child.removed || !should_restart(child.spec.restart, reason))
    return;
  auto now = std::chrono::steady_clock::now();
  if (intensity.record(now) > opts.max_restarts) {
    escalate(reason);
    return;
  }
  auto delay = backoff_delay(child.recent.count(now), opts.backoff_initial,
                             opts.backoff_max);
  child.recent.record(now);
  auto group = restart_group_of(index);
  auto token = next_token++;
  pending_restarts[token] = group;
  for (auto i : group) {
    children[i].restart_pending = true;
    children[i].state = v1::CHILD_STATE_RESTARTING;
  }
  std::vector<size_t> others;
  for (auto i = group.rbegin(); i != group.rend(); ++i)
    if (*i != index && children[*i].handle)
      others.push_back(*i);
  emit(v1::SupervisionEvent::KIND_CHILD_RESTARTED, child, reason,
       static_cast<uint64_t>(delay.count()));
  stop_children(std::move(others), [this, token, delay] {
    self->delayed_send(self, delay, atom::restart::value, token);
  });
}

void supervisor_state::escalate(const caf::error& reason) {
  shutting_down = true;
  cancel_pending_restarts();
  auto why = make_error(errc::aborted,
                        "supervisor '" + display_path(opts.path)
                          + "' exceeded its restart intensity ("
                          + std::to_string(opts.max_restarts) + " restarts in "
                          + std::to_string(opts.period.count())
                          + "ms); last failure: " + render(reason));
  v1::SupervisionEvent ev;
  ev.set_kind(v1::SupervisionEvent::KIND_ESCALATED);
  ev.set_supervisor(display_path(opts.path));
  ev.set_reason(render(why));
  ev.set_time_unix_ms(unix_now_ms());
  if (env.log)
    env.log->error("supervision: {}", render(why));
  if (env.observer)
    self->send(env.observer, ev);
  stop_children(running_newest_first(), [this, why] { self->quit(why); });
}

void supervisor_state::restart_group(uint64_t token) {
  auto i = pending_restarts.find(token);
  if (i == pending_restarts.end() || shutting_down)
    return;
  auto group = std::move(i->second);
  pending_restarts.erase(i);
  for (auto index : group) {
    auto& child = children[index];
    child.restart_pending = false;
    if (child.handle || child.removed)
      continue;
    if (child.spec.restart == restart_type::temporary) {
      child.state = v1::CHILD_STATE_STOPPED;
      continue;
    }
    ++child.restarts;
    if (env.restarts)
      env.restarts->with({display_path(opts.path), child.path}).inc();
    if (auto err = start_child(index)) {
      // A failed restart is a failure like any other: it counts towards
      // the intensity, so a child that can never start escalates.
      child.state = v1::CHILD_STATE_STOPPED;
      emit(v1::SupervisionEvent::KIND_CHILD_CRASHED, child, err);
      handle_failure(index, err);
      return;
    }
    emit(v1::SupervisionEvent::KIND_CHILD_STARTED, child);
  }
}

void supervisor_state::cancel_pending_restarts() {
  pending_restarts.clear();
  for (auto& child : children) {
    child.restart_pending = false;
    if (!child.handle)
      child.state = v1::CHILD_STATE_STOPPED;
  }
}

std::vector<size_t> supervisor_state::restart_group_of(size_t index) const {
  std::vector<size_t> result;
  switch (opts.strategy) {
    case restart_strategy::one_for_one: result.push_back(index); break;
    case restart_strategy::one_for_all:
      for (size_t i = 0; i < children.size(); ++i)
        if (!children[i].removed)
          result.push_back(i);
      break;
    case restart_strategy::rest_for_one:
      for (size_t i = index; i < children.size(); ++i)
        if (!children[i].removed)
          result.push_back(i);
      break;
  }
  return result;
}

// -- dynamic children ---------------------------------------------------------

caf::error supervisor_state::add_child(child_spec spec) {
  if (shutting_down)
    return make_error(errc::unavailable, "supervisor is shutting down");
  if (spec.name.empty() || spec.name.find('/') != std::string::npos
      || !spec.start)
    return make_error(errc::invalid_argument,
                      "child name '" + spec.name
                        + "' is not one path segment, or it has no factory");
  if (auto err = name_registry::validate_path(spec.name))
    return err;
  if (find_live(spec.name))
    return make_error(errc::already_exists,
                      "child '" + spec.name + "' already exists");
  auto path = child_path(opts.path, spec.name);
  children.push_back(supervised_child{std::move(spec),
                                      std::move(path),
                                      {},
                                      v1::CHILD_STATE_STOPPED,
                                      0,
                                      restart_window{opts.period}});
  auto index = children.size() - 1;
  if (auto err = start_child(index)) {
    children[index].removed = true;
    return make_error(errc::failed_precondition,
                      "child '" + children[index].path
                        + "' failed to start: " + render(err));
  }
  emit(v1::SupervisionEvent::KIND_CHILD_STARTED, children[index]);
  return caf::none;
}

caf::error supervisor_state::remove_child(const std::string& child_name) {
  auto index = find_live(child_name);
  if (!index)
    return make_error(errc::not_found, "no child '" + child_name + "'");
  auto& child = children[*index];
  child.removed = true;
  child.restart_pending = false;
  if (!child.handle) {
    child.state = v1::CHILD_STATE_STOPPED;
    return caf::none;
  }
  // Not through the stop sequence: a removal must not replace the
  // continuation of a restart or shutdown that is stopping others.
  child.stop_requested = true;
  child.state = v1::CHILD_STATE_STOPPING;
  auto generation = ++child.generation;
  self->send_exit(child.handle, caf::exit_reason::user_shutdown);
  self->delayed_send(self, child.spec.shutdown_timeout,
                     atom::stop_timeout::value, uint64_t{*index}, generation);
  return caf::none;
}

std::optional<size_t>
supervisor_state::find_live(const std::string& child_name) const {
  for (size_t i = 0; i < children.size(); ++i)
    if (!children[i].removed && children[i].spec.name == child_name)
      return i;
  return std::nullopt;
}

// -- ordered stop -------------------------------------------------------------

void supervisor_state::stop_children(std::vector<size_t> newest_first,
                                     std::function<void()> then) {
  if (stopping) {
    // A shutdown overrides a restart in progress: stop the rest as well.
    for (auto i : newest_first)
      if (std::find(stopping->pending.begin(), stopping->pending.end(), i)
            == stopping->pending.end()
          && stopping->current != i)
        stopping->pending.push_back(i);
    stopping->then = std::move(then);
    return;
  }
  stopping = stop_sequence{
    {newest_first.begin(), newest_first.end()}, std::nullopt, std::move(then)};
  stop_next();
}

void supervisor_state::stop_next() {
  stopping->current.reset();
  while (!stopping->pending.empty()) {
    auto index = stopping->pending.front();
    stopping->pending.pop_front();
    auto& child = children[index];
    if (!child.handle)
      continue;
    stopping->current = index;
    child.stop_requested = true;
    child.state = v1::CHILD_STATE_STOPPING;
    auto generation = ++child.generation;
    self->send_exit(child.handle, caf::exit_reason::user_shutdown);
    self->delayed_send(self, child.spec.shutdown_timeout,
                       atom::stop_timeout::value, uint64_t{index}, generation);
    return;
  }
  auto then = std::move(stopping->then);
  stopping.reset();
  then();
  // Failures that arrived meanwhile are handled now, unless a restart
  // already pending covers them.
  while (!stopping && !deferred.empty() && !shutting_down) {
    auto [index, reason] = deferred.front();
    deferred.pop_front();
    if (!children[index].restart_pending && !children[index].handle)
      handle_failure(index, reason);
  }
}

void supervisor_state::on_stop_timeout(size_t index, uint64_t generation) {
  if (index >= children.size())
    return;
  auto& child = children[index];
  if (!child.handle || !child.stop_requested || child.generation != generation)
    return;
  emit(v1::SupervisionEvent::KIND_CHILD_KILLED, child,
       make_error(errc::deadline_exceeded,
                  "did not stop within "
                    + std::to_string(child.spec.shutdown_timeout.count())
                    + "ms"));
  self->send_exit(child.handle, caf::exit_reason::kill);
}

std::vector<size_t> supervisor_state::running_newest_first() const {
  std::vector<size_t> result;
  for (size_t i = children.size(); i > 0; --i)
    if (children[i - 1].handle)
      result.push_back(i - 1);
  return result;
}

// -- observation --------------------------------------------------------------

void supervisor_state::emit(v1::SupervisionEvent::Kind kind,
                            const supervised_child& child,
                            const caf::error& reason, uint64_t backoff_ms) {
  v1::SupervisionEvent ev;
  ev.set_kind(kind);
  ev.set_supervisor(display_path(opts.path));
  ev.set_child(child.path);
  if (reason && !is_normal_exit(reason))
    ev.set_reason(render(reason));
  ev.set_backoff_ms(backoff_ms);
  ev.set_restarts(child.restarts);
  ev.set_time_unix_ms(unix_now_ms());
  if (env.log) {
    auto level = kind == v1::SupervisionEvent::KIND_CHILD_CRASHED
                     || kind == v1::SupervisionEvent::KIND_CHILD_KILLED
                   ? spdlog::level::warn
                   : spdlog::level::info;
    env.log->log(
      level, "supervision: {} {}{}{}",
      enum_label(v1::SupervisionEvent::Kind_Name(kind), "KIND_"), child.path,
      ev.reason().empty() ? "" : " reason=" + ev.reason(),
      backoff_ms > 0 ? " backoff_ms=" + std::to_string(backoff_ms) : "");
  }
  if (env.observer)
    self->send(env.observer, std::move(ev));
}

v1::TreeNode supervisor_state::tree_node() const {
  v1::TreeNode node;
  node.set_name(display_path(opts.path));
  node.set_strategy(to_proto(opts.strategy));
  node.set_state(v1::CHILD_STATE_RUNNING);
  for (const auto& child : children) {
    if (child.removed)
      continue;
    auto* x = node.add_children();
    x->set_name(child.path);
    x->set_restart(to_proto(child.spec.restart));
    x->set_state(child.state);
    x->set_restarts(child.restarts);
  }
  return node;
}

void supervisor_state::answer_tree(caf::response_promise rp) {
  auto result = std::make_shared<v1::TreeNode>(tree_node());
  auto pending = std::make_shared<size_t>(0);
  auto finish = [rp, result, pending]() mutable {
    if (--*pending == 0) {
      v1::TreeResponse resp;
      *resp.mutable_root() = *result;
      rp.deliver(std::move(resp));
    }
  };
  ++*pending;          // released below, after all requests are out
  int slot_index = -1; // position in tree_node(), which skips removed ones
  for (size_t i = 0; i < children.size(); ++i) {
    if (children[i].removed)
      continue;
    ++slot_index;
    if (!children[i].spec.is_supervisor || !children[i].handle)
      continue;
    ++*pending;
    self->request(children[i].handle, opts.tree_timeout, v1::TreeRequest{})
      .then(
        [result, slot_index, finish](v1::TreeResponse& sub) mutable {
          auto* slot = result->mutable_children(slot_index);
          slot->set_strategy(sub.root().strategy());
          *slot->mutable_children() = sub.root().children();
          finish();
        },
        [finish](caf::error&) mutable { finish(); });
  }
  finish();
}

void supervisor_state::refresh_live() {
  live->clear();
  for (const auto& child : children)
    if (child.handle)
      live->push_back(child.handle.address());
}

std::optional<size_t>
supervisor_state::find(const caf::actor_addr& addr) const {
  for (size_t i = 0; i < children.size(); ++i)
    if (children[i].handle && children[i].handle.address() == addr)
      return i;
  return std::nullopt;
}

// -- behavior -----------------------------------------------------------------

caf::behavior supervisor(supervisor_actor self, supervisor_options opts,
                         supervision_env env) {
  auto& st = self->state;
  st.self = self;
  st.intensity = restart_window{opts.period};
  for (auto& spec : opts.children) {
    supervised_child child{std::move(spec),
                           {},
                           {},
                           v1::CHILD_STATE_STOPPED,
                           0,
                           restart_window{opts.period},
                           0,
                           false};
    child.path = child_path(opts.path, child.spec.name);
    st.children.push_back(std::move(child));
  }
  opts.children.clear();
  st.opts = std::move(opts);
  st.env = std::move(env);
  st.live = std::make_shared<std::vector<caf::actor_addr>>();
  // If this supervisor dies without its ordered shutdown, its children must
  // not outlive it (Erlang links them; we kill them from an exit hook).
  self->attach_functor([live = st.live](const caf::error&) {
    for (const auto& addr : *live)
      caf::anon_send_exit(addr, caf::exit_reason::kill);
  });
  self->set_down_handler(
    [self](caf::down_msg& msg) { self->state.on_child_down(msg); });
  self->set_exit_handler(
    [self](caf::exit_msg& msg) { self->state.on_exit_request(msg); });
  if (auto err = st.start_all()) {
    if (st.env.log)
      st.env.log->error("supervision: {}", render(err));
    st.shutting_down = true;
    st.stop_children(st.running_newest_first(),
                     [self, err] { self->quit(err); });
  }
  return {
    [self](atom::restart, uint64_t token) { self->state.restart_group(token); },
    [self](atom::stop_timeout, uint64_t index, uint64_t generation) {
      self->state.on_stop_timeout(index, generation);
    },
    [self](atom::add_child, child_spec& spec) -> caf::result<void> {
      if (auto err = self->state.add_child(std::move(spec)))
        return err;
      return caf::unit;
    },
    [self](atom::remove_child,
           const std::string& child_name) -> caf::result<void> {
      if (auto err = self->state.remove_child(child_name))
        return err;
      return caf::unit;
    },
    [self](const v1::TreeRequest&) -> caf::result<v1::TreeResponse> {
      auto rp = self->make_response_promise();
      self->state.answer_tree(rp);
      return caf::delegated<v1::TreeResponse>{};
    },
  };
}

caf::expected<caf::actor> spawn_supervisor(caf::actor_system& sys,
                                           supervisor_options opts,
                                           supervision_env env) {
  if (auto err = validate(opts))
    return err;
  return sys.spawn(supervisor, std::move(opts), std::move(env));
}

child_spec supervisor_child(std::string name, supervisor_options opts,
                            supervision_env env, restart_type restart) {
  child_spec spec;
  spec.name = std::move(name);
  spec.restart = restart;
  spec.is_supervisor = true;
  // What supervisor() below answers besides its atoms.
  spec.handles = {v1::TreeRequest::descriptor()->full_name()};
  // A supervisor stops its own children first: give it their time too.
  std::chrono::milliseconds total{1'000};
  for (const auto& child : opts.children)
    total += child.shutdown_timeout;
  spec.shutdown_timeout = total;
  spec.start = [opts = std::move(opts), env = std::move(env)](
                 caf::actor_system& sys,
                 const std::string& path) -> caf::expected<caf::actor> {
    auto sub = opts;
    sub.path = path;
    return spawn_supervisor(sys, std::move(sub), env);
  };
  return spec;
}

} // namespace bsm
