#include "http_api/mcp_format.hpp"

#include <cstdio>

#include "gateway/mcp_protocol.hpp"
#include "runtime/http/error_response.hpp"

namespace bsm {

namespace {

namespace gw = gateway;

std::string priming_event(const std::string& stream_id) {
  return "id: " + stream_id + "-0\nretry: "
         + std::to_string(mcp_stream_retry.count()) + "\ndata: \n\n";
}

std::string message_event(const std::string& stream_id, uint64_t seq,
                          const nlohmann::json& msg) {
  return "id: " + stream_id + "-" + std::to_string(seq)
         + "\nevent: message\ndata: " + msg.dump() + "\n\n";
}

// "files__copy: 3/10 copied 3 files", or without a message "3/10".
std::string progress_text(const v1::ToolProgress& x) {
  char numbers[64];
  if (x.total() > 0)
    std::snprintf(numbers, sizeof(numbers), "%g/%g", x.progress(), x.total());
  else
    std::snprintf(numbers, sizeof(numbers), "%g", x.progress());
  auto text = x.server() + "__" + x.tool() + ": " + numbers;
  return x.message().empty() ? text : text + " " + x.message();
}

class mcp_call_format : public stream_format {
public:
  mcp_call_format(nlohmann::json id, nlohmann::json token,
                  std::string stream_id)
    : id_(std::move(id)), token_(std::move(token)),
      stream_(std::move(stream_id)) {}

  std::string opening(const std::string&) override {
    return priming_event(stream_);
  }

  std::string piece(const v1::ChatDelta& delta) override {
    if (token_.is_null())
      return {};
    if (delta.has_tool_call())
      return progress("calling " + delta.tool_call().tool());
    if (delta.has_progress())
      return progress(progress_text(delta.progress()));
    if (delta.has_question())
      return progress("waiting for an answer to question "
                      + delta.question().id() + ": "
                      + delta.question().message());
    if (delta.has_tool_result())
      return progress(delta.tool_result().tool()
                      + (delta.tool_result().is_error() ? " failed" : " done"));
    return {};
  }

  std::string closing(const v1::ChatReply& reply) override {
    return next(gw::rpc_result(
      id_, gw::answer_result(reply.output(), reply.session_id())));
  }

  std::string failure(const caf::error& err, const std::string&) override {
    return next(gw::rpc_result(id_, gw::failed_result(http::message_of(err))));
  }

private:
  std::string next(const nlohmann::json& msg) {
    return message_event(stream_, ++seq_, msg);
  }

  std::string progress(const std::string& message) {
    return next(gw::progress_notification(token_, ++progress_, message));
  }

  nlohmann::json id_;
  nlohmann::json token_;
  std::string stream_;
  uint64_t seq_ = 0;
  uint64_t progress_ = 0;
};

} // namespace

std::unique_ptr<stream_format> mcp_call_events(nlohmann::json id,
                                               nlohmann::json token,
                                               std::string stream_id) {
  return std::make_unique<mcp_call_format>(std::move(id), std::move(token),
                                           std::move(stream_id));
}

std::string mcp_answer_events(const std::string& stream_id,
                              const nlohmann::json& message) {
  return priming_event(stream_id) + message_event(stream_id, 1, message);
}

} // namespace bsm
