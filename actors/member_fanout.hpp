#pragma once

// Asks one path on every live member at once, for state that stays on the
// node where it was created (a task on the node it was submitted to), when
// this node does not hold it. The first answer of the expected type, or
// the first refusal other than not_found (the member holds it), wins; when
// none has it the answer is not_found, or unavailable when a member that
// might have had it could not be asked. The request must tell the
// members to answer from their own state only, so none asks further.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "actors/remote_call.hpp"
#include "runtime/error.hpp"

namespace bsm {

/// The members that are up or suspect (never this node).
inline std::vector<std::string> live_members(const remote_call_env& env) {
  std::vector<std::string> result;
  if (!env.directory)
    return result;
  for (const auto& m : env.directory->members())
    if (env.directory->live_member(m.record.name()))
      result.push_back(m.record.name());
  return result;
}

/// Asks `path` on each of live_members(env) with `msg`: `on_found` gets the
/// first Response, else `on_failure` gets the first refusal of a member that
/// holds it, `miss` (nobody had it) or an unavailable error naming a
/// member that did not answer. Exactly one of
/// the handlers runs, in `self`'s context; with no member, `on_failure` runs
/// at once.
template <class Response, class Self>
void ask_each_member(Self* self, const remote_call_env& env,
                     const std::string& path, const caf::message& msg,
                     std::chrono::milliseconds timeout,
                     std::function<void(Response)> on_found,
                     std::function<void(caf::error)> on_failure,
                     caf::error miss) {
  auto nodes = live_members(env);
  if (nodes.empty())
    return on_failure(std::move(miss));
  struct gather {
    size_t left = 0;
    bool done = false;
    std::string silent;
    caf::error miss;
    std::function<void(Response)> on_found;
    std::function<void(caf::error)> on_failure;

    void answered_without() {
      if (done || --left > 0)
        return;
      done = true;
      if (silent.empty())
        return on_failure(std::move(miss));
      on_failure(make_error(errc::unavailable,
                            render(miss) + " here, and node " + silent
                              + ", which may hold it, did not answer"));
    }
  };
  auto g = std::make_shared<gather>();
  g->left = nodes.size();
  g->miss = std::move(miss);
  g->on_found = std::move(on_found);
  g->on_failure = std::move(on_failure);
  for (const auto& node : nodes)
    ask_node(
      self, env, node, path, msg, timeout,
      [g, node](caf::message reply) {
        if (g->done)
          return;
        if (!reply.match_elements<Response>()) {
          g->silent = node;
          return g->answered_without();
        }
        g->done = true;
        g->on_found(reply.get_as<Response>(0));
      },
      [g, node](caf::error err) {
        if (g->done)
          return;
        if (is(err, errc::not_found))
          return g->answered_without();
        if (is(err, errc::unavailable) || is(err, errc::deadline_exceeded)
            || err.category() != errc_category) {
          // Not asked: down, gone or too slow (CAF's own errors).
          g->silent = node;
          return g->answered_without();
        }
        // The member holds it and refused (a cancel of an ended task).
        g->done = true;
        g->on_failure(std::move(err));
      });
}

/// The cluster's answer to `req` when this node's own is `miss`: for
/// not_found, asks `path` on the members (with `here_only` set, so none
/// asks further) unless `req` came from a member itself; any other miss
/// is the answer. `Request` has a `here_only` field.
template <class Response, class Self, class Request>
caf::result<Response>
answer_from_members(Self* self, const remote_call_env& env,
                    const std::string& path, Request req, caf::error miss,
                    std::chrono::milliseconds timeout) {
  if (req.here_only() || !is(miss, errc::not_found))
    return miss;
  req.set_here_only(true);
  auto rp = self->template make_response_promise<Response>();
  ask_each_member<Response>(
    self, env, path, caf::make_message(std::move(req)), timeout,
    [rp](Response resp) mutable { rp.deliver(std::move(resp)); },
    [rp](caf::error err) mutable { rp.deliver(std::move(err)); },
    std::move(miss));
  return rp;
}

} // namespace bsm
