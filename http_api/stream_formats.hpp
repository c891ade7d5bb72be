#pragma once

// How a streamed chat turn is written (chat_stream.hpp): OpenAI's
// `chat.completion.chunk` events for POST /v1/chat/completions, or the
// agent chat's step events (chat_format.hpp). Each returns the bytes to
// write, empty for nothing; plain classes, tested without a node.

#include <memory>
#include <string>

#include <caf/error.hpp>

#include "protocols/caf_types.hpp"

namespace bsm {

class stream_format {
public:
  virtual ~stream_format() = default;

  /// The first event, right after the head, for the turn `turn_id`.
  virtual std::string opening(const std::string& turn_id) = 0;

  /// One piece of the turn as it is produced.
  virtual std::string piece(const v1::ChatDelta& delta) = 0;

  /// The end of the turn: what was not streamed of `reply` (an agent on
  /// another node streams nothing), then the closing events.
  virtual std::string closing(const v1::ChatReply& reply) = 0;

  /// An error once the stream is open.
  virtual std::string failure(const caf::error& err,
                              const std::string& request_id)
    = 0;
};

/// POST /v1/chat/completions: content deltas and the fragments of client
/// tool calls as `tool_calls` deltas as they come (numbered 0, 1, ... in
/// the order the calls start); at the end the client tool calls not
/// streamed, the finish reason, the usage (with `include_usage`) and
/// `[DONE]`. The turn's own tool steps are not part of OpenAI's stream.
std::unique_ptr<stream_format> openai_chunks(std::string model, int64_t created,
                                             bool include_usage);

/// POST /v1/agents/{name}/chat with `Accept: text/event-stream`: tool_call
/// and tool_result step events, content deltas, then done. Fragments of
/// client tool calls are not shown.
std::unique_ptr<stream_format> agent_step_events();

} // namespace bsm
