#include "http_api/stream_formats.hpp"

#include <map>
#include <set>

#include "http_api/chat_format.hpp"
#include "http_api/openai_format.hpp"
#include "runtime/http/error_response.hpp"

namespace bsm {

namespace {

namespace oaf = openai_format;

// The part of `output` after what was streamed, if what was streamed is
// its beginning (a provider that did not stream, or only partly).
std::string unstreamed(const std::string& output, const std::string& streamed) {
  if (output.size() > streamed.size()
      && output.compare(0, streamed.size(), streamed) == 0)
    return output.substr(streamed.size());
  return {};
}

class openai_chunk_format : public stream_format {
public:
  openai_chunk_format(std::string model, int64_t created, bool include_usage)
    : model_(std::move(model)), created_(created),
      include_usage_(include_usage) {}

  std::string opening(const std::string& turn_id) override {
    id_ = "chatcmpl-" + turn_id;
    return oaf::sse_data(oaf::chunk(id_, model_, created_,
                                    {{"role", "assistant"}, {"content", ""}}));
  }

  std::string piece(const v1::ChatDelta& delta) override {
    if (delta.has_tool_call_fragment())
      return tool_call(delta.tool_call_fragment());
    if (delta.content().empty())
      return {};
    streamed_ += delta.content();
    return content(delta.content());
  }

  std::string closing(const v1::ChatReply& reply) override {
    std::string out;
    if (auto rest = unstreamed(reply.output(), streamed_); !rest.empty())
      out += content(rest);
    // The calls not streamed yet (a provider that did not stream them)
    // follow the streamed ones.
    auto index = static_cast<int>(call_indexes_.size());
    for (const auto& call : reply.tool_calls())
      if (streamed_calls_.count(call.id()) == 0)
        for (const auto& x :
             oaf::tool_call_chunks(id_, model_, created_, call, index++))
          out += oaf::sse_data(x);
    auto reason
      = reply.finish_reason().empty() ? "stop" : reply.finish_reason();
    out += oaf::sse_data(
      oaf::chunk(id_, model_, created_, nlohmann::json::object(), reason));
    if (include_usage_)
      out += oaf::sse_data(
        oaf::usage_chunk(id_, model_, created_, reply.usage()));
    return out + "data: [DONE]\n\n";
  }

  std::string failure(const caf::error& err, const std::string&) override {
    return oaf::sse_data(oaf::error_body(err));
  }

private:
  std::string content(const std::string& text) const {
    return oaf::sse_data(
      oaf::chunk(id_, model_, created_, {{"content", text}}));
  }

  // Clients collect the calls in an array by index: the calls get 0, 1, 2
  // in the order they start, whatever the provider's indexes were.
  std::string tool_call(const v1::ToolCallFragment& piece) {
    auto [slot, first] = call_indexes_.try_emplace(
      piece.index(), static_cast<int>(call_indexes_.size()));
    if (first)
      streamed_calls_.insert(piece.id());
    auto entry = oaf::tool_call_delta(slot->second, piece, first);
    return oaf::sse_data(
      oaf::chunk(id_, model_, created_,
                 {{"tool_calls", nlohmann::json::array({std::move(entry)})}}));
  }

  std::string model_;
  int64_t created_;
  bool include_usage_;
  std::string id_;
  std::string streamed_;
  /// The provider's index of each streamed call -> the stream's.
  std::map<int64_t, int> call_indexes_;
  /// The ids of the calls streamed.
  std::set<std::string> streamed_calls_;
};

class step_event_format : public stream_format {
public:
  std::string opening(const std::string&) override {
    return {};
  }

  // Fragments of client tool calls are not shown: agent chats have their
  // own tool_call events, and the reply names the calls.
  std::string piece(const v1::ChatDelta& delta) override {
    if (delta.has_tool_call_fragment())
      return {};
    if (delta.has_tool_call())
      return chat_format::sse_event(
        "tool_call", chat_format::step(delta.tool_call(), false));
    if (delta.has_question())
      return chat_format::sse_event("question",
                                    chat_format::question(delta.question()));
    if (delta.has_progress())
      return chat_format::sse_event("progress",
                                    chat_format::progress(delta.progress()));
    if (delta.has_tool_result()) {
      ++steps_streamed_;
      return chat_format::sse_event("tool_result",
                                    chat_format::step(delta.tool_result()));
    }
    if (delta.content().empty())
      return {};
    streamed_ += delta.content();
    return chat_format::sse_event("delta", {{"content", delta.content()}});
  }

  std::string closing(const v1::ChatReply& reply) override {
    std::string out;
    for (int i = steps_streamed_; i < reply.steps_size(); ++i)
      out += chat_format::sse_event("tool_result",
                                    chat_format::step(reply.steps(i)));
    if (auto rest = unstreamed(reply.output(), streamed_); !rest.empty())
      out += chat_format::sse_event("delta", {{"content", rest}});
    return out + chat_format::sse_event("done", chat_format::answer(reply));
  }

  std::string failure(const caf::error& err,
                      const std::string& request_id) override {
    auto [status, code] = http::status_of(err);
    return chat_format::sse_event("error",
                                  {{"error",
                                    {{"code", code},
                                     {"message", http::message_of(err)},
                                     {"request_id", request_id}}}});
  }

private:
  std::string streamed_;
  int steps_streamed_ = 0;
};

} // namespace

std::unique_ptr<stream_format> openai_chunks(std::string model, int64_t created,
                                             bool include_usage) {
  return std::make_unique<openai_chunk_format>(std::move(model), created,
                                               include_usage);
}

std::unique_ptr<stream_format> agent_step_events() {
  return std::make_unique<step_event_format>();
}

} // namespace bsm
