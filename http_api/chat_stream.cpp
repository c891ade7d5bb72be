#include "http_api/chat_stream.hpp"

#include <caf/send.hpp>

#include "runtime/error.hpp"
#include "runtime/mailbox/message_id.hpp"

namespace bsm {

namespace bhttp = boost::beast::http;

bool chat_stream_state::write(const std::string& bytes) {
  return bytes.empty() || ex->write(bytes);
}

void chat_stream_state::finish(const v1::ChatReply& reply) {
  write(opts.format->closing(reply));
  ex->end_stream();
}

void chat_stream_state::fail(const caf::error& err) {
  write(opts.format->failure(err, ex->request_id()));
  ex->end_stream();
}

caf::behavior chat_stream(caf::stateful_actor<chat_stream_state>* self,
                          http::exchange_ptr ex, call_route route,
                          v1::ChatRequest req, chat_stream_options opts) {
  auto& st = self->state;
  st.ex = ex;
  st.opts = std::move(opts);
  if (req.turn_id().empty())
    req.set_turn_id("t-" + new_message_id());
  // A weak address: the exchange must not keep the actor alive.
  ex->on_cancel([addr = self->address()] {
    caf::anon_send_exit(addr, caf::exit_reason::user_shutdown);
  });
  self->attach_functor([ex] { ex->end_stream(); });
  http::response head{bhttp::status::ok, 11};
  head.set(bhttp::field::content_type, "text/event-stream");
  head.set(bhttp::field::cache_control, "no-cache");
  head.set("X-Accel-Buffering", "no");
  ex->open_stream(std::move(head));
  st.write(st.opts.format->opening(req.turn_id()));
  ask_agent_streamed(
    self, st.opts.remote, route, std::move(req),
    caf::actor_cast<caf::actor>(self), st.opts.timeout,
    [self](const v1::ChatReply& reply) {
      self->state.finish(reply);
      self->quit();
    },
    [self](caf::error err) {
      self->state.fail(err);
      self->quit();
    });
  return {
    [self](const v1::ChatDelta& delta) {
      if (!self->state.write(self->state.opts.format->piece(delta)))
        self->quit();
    },
  };
}

} // namespace bsm
