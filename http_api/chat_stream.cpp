#include "http_api/chat_stream.hpp"

#include <caf/send.hpp>

#include "http_api/openai_format.hpp"
#include "runtime/error.hpp"
#include "runtime/mailbox/message_id.hpp"

namespace bsm {

namespace bhttp = boost::beast::http;
namespace oaf = openai_format;

bool chat_stream_state::write_delta(const std::string& content) {
  streamed += content;
  return ex->write(oaf::sse_data(
    oaf::chunk(id, opts.model, opts.created, {{"content", content}})));
}

void chat_stream_state::finish(const v1::ChatReply& reply) {
  const auto& output = reply.output();
  if (output.size() > streamed.size()
      && output.compare(0, streamed.size(), streamed) == 0)
    write_delta(output.substr(streamed.size()));
  for (const auto& x :
       oaf::tool_call_chunks(id, opts.model, opts.created, reply))
    ex->write(oaf::sse_data(x));
  auto reason = reply.finish_reason().empty() ? "stop" : reply.finish_reason();
  ex->write(oaf::sse_data(oaf::chunk(id, opts.model, opts.created,
                                     nlohmann::json::object(), reason)));
  if (opts.include_usage)
    ex->write(oaf::sse_data(
      oaf::usage_chunk(id, opts.model, opts.created, reply.usage())));
  ex->write("data: [DONE]\n\n");
  ex->end_stream();
}

void chat_stream_state::fail(const caf::error& err) {
  ex->write(oaf::sse_data(oaf::error_body(err)));
  ex->end_stream();
}

caf::behavior chat_stream(caf::stateful_actor<chat_stream_state>* self,
                          http::exchange_ptr ex, agent_actor agent,
                          v1::ChatRequest req, chat_stream_options opts) {
  auto& st = self->state;
  st.ex = ex;
  st.opts = std::move(opts);
  if (req.turn_id().empty())
    req.set_turn_id("t-" + new_message_id());
  st.id = "chatcmpl-" + req.turn_id();
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
  ex->write(
    oaf::sse_data(oaf::chunk(st.id, st.opts.model, st.opts.created,
                             {{"role", "assistant"}, {"content", ""}})));
  if (!agent) {
    ask_agent_anywhere(
      self, st.opts.remote, std::move(req), st.opts.timeout,
      [self](const v1::ChatReply& reply) {
        self->state.finish(reply);
        self->quit();
      },
      [self](caf::error err) {
        self->state.fail(err);
        self->quit();
      });
    return {
      [](const v1::ChatDelta&) {},
    };
  }
  self
    ->request(agent, st.opts.timeout, std::move(req),
              caf::actor_cast<caf::actor>(self))
    .then(
      [self](v1::ChatReply& reply) {
        self->state.finish(reply);
        self->quit();
      },
      [self](caf::error& err) {
        self->state.fail(err);
        self->quit();
      });
  return {
    [self](const v1::ChatDelta& delta) {
      if (!delta.content().empty() && !self->state.write_delta(delta.content()))
        self->quit();
    },
  };
}

} // namespace bsm
