#pragma once

// A route that asks one actor by path, wherever it lives, and answers with
// what it makes of the reply of one known type (the session and question
// routes). Any other reply type is an internal error naming `who`.

#include <string>

#include <caf/event_based_actor.hpp>

#include "actors/remote_call.hpp"
#include "http_api/handlers.hpp"
#include "runtime/error.hpp"
#include "runtime/http/error_response.hpp"

namespace bsm::http_handlers {

template <class Reply, class Request, class OnReply>
void ask_for_reply(http_bridge_pointer self, ex_ptr ex, const std::string& path,
                   const char* who, Request req, OnReply on_reply) {
  const auto& env = *self->state.env;
  ask_anywhere(
    self, env.call_env(), path, caf::make_message(std::move(req)),
    env.opts.ask_timeout,
    [ex, who, on_reply](caf::message reply) {
      if (!reply.match_elements<Reply>())
        return http::respond_error(
          *ex, make_error(errc::internal,
                          std::string{who} + " answered with another type"));
      on_reply(reply.get_as<Reply>(0));
    },
    [ex](caf::error err) { http::respond_error(*ex, err); },
    &self->state.deadlines);
}

} // namespace bsm::http_handlers
