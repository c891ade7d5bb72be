#pragma once

// One streamed chat turn (POST /v1/chat/completions with "stream": true,
// POST /v1/agents/{name}/chat with `Accept: text/event-stream`): opens the
// event stream, asks the agent for a streamed turn with itself as the sink
// and writes each v1::ChatDelta as it comes, in the stream's format
// (stream_formats.hpp), then the end of the turn. An error after the
// stream opened is an error event. The client leaving stops it; the turn
// itself runs to its end (its effects are not undone). An agent that lives
// on another node streams the same way: its deltas cross the cluster port
// to this actor as they are produced.

#include <memory>
#include <string>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/interfaces.hpp"
#include "actors/remote_call.hpp"
#include "http_api/stream_formats.hpp"
#include "runtime/http/exchange.hpp"

namespace bsm {

struct chat_stream_options {
  /// Shared: spawn arguments are copied.
  std::shared_ptr<stream_format> format;
  std::chrono::milliseconds timeout{0};
  /// For an agent on another node: asked through its cluster port.
  remote_call_env remote;
};

struct chat_stream_state {
  static constexpr const char* name = "chat_stream";

  http::exchange_ptr ex;
  chat_stream_options opts;

  /// Writes `bytes` unless empty; false if the client is gone.
  bool write(const std::string& bytes);
  void finish(const v1::ChatReply& reply);
  void fail(const caf::error& err);
};

/// `route`: where the agent lives, as route_call found it.
caf::behavior chat_stream(caf::stateful_actor<chat_stream_state>* self,
                          http::exchange_ptr ex, call_route route,
                          v1::ChatRequest req, chat_stream_options opts);

} // namespace bsm
