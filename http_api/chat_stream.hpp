#pragma once

// One streamed chat completion (POST /v1/chat/completions with
// "stream": true): opens the event stream, asks the agent for a streamed
// turn with itself as the sink, writes each v1::ChatDelta as a
// `chat.completion.chunk`, then the tool calls, the finish reason, the
// usage (if asked) and `data: [DONE]`. An error after the stream opened is
// a `data: {"error":...}` event. The client leaving stops it; the turn
// itself runs to its end (its effects are not undone). An agent that lives
// on another node is asked through the cluster without deltas: its whole
// answer is written as one chunk when the turn ends.

#include <string>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/interfaces.hpp"
#include "actors/remote_call.hpp"
#include "runtime/http/exchange.hpp"

namespace bsm {

struct chat_stream_options {
  std::string model;
  int64_t created = 0;
  bool include_usage = false;
  std::chrono::milliseconds timeout{0};
  /// For an agent on another node (`agent` invalid): asked by path.
  remote_call_env remote;
};

struct chat_stream_state {
  static constexpr const char* name = "chat_stream";

  http::exchange_ptr ex;
  chat_stream_options opts;
  /// "chatcmpl-..." from the turn id, the same in every chunk.
  std::string id;
  /// Content written so far, so a provider that did not stream (or only
  /// partly) still gets its whole answer out.
  std::string streamed;

  /// Writes one chunk; false if the client is gone.
  bool write_delta(const std::string& content);
  void finish(const v1::ChatReply& reply);
  void fail(const caf::error& err);
};

/// `agent` invalid: the agent lives on another node (see opts.remote).
caf::behavior chat_stream(caf::stateful_actor<chat_stream_state>* self,
                          http::exchange_ptr ex, agent_actor agent,
                          v1::ChatRequest req, chat_stream_options opts);

} // namespace bsm
