#include "http_api/mcp_format.hpp"

#include "gateway/mcp_protocol.hpp"
#include "http_api/chat_format.hpp"
#include "runtime/http/error_response.hpp"

namespace bsm {

namespace {

namespace gw = gateway;

std::string message_event(const nlohmann::json& msg) {
  return chat_format::sse_event("message", msg);
}

class mcp_call_format : public stream_format {
public:
  mcp_call_format(nlohmann::json id, nlohmann::json token)
    : id_(std::move(id)), token_(std::move(token)) {}

  std::string opening(const std::string&) override {
    return {};
  }

  std::string piece(const v1::ChatDelta& delta) override {
    if (delta.has_tool_call())
      return progress("calling " + delta.tool_call().tool());
    if (delta.has_tool_result())
      return progress(delta.tool_result().tool()
                      + (delta.tool_result().is_error() ? " failed" : " done"));
    return {};
  }

  std::string closing(const v1::ChatReply& reply) override {
    return message_event(gw::rpc_result(
      id_, gw::answer_result(reply.output(), reply.session_id())));
  }

  std::string failure(const caf::error& err, const std::string&) override {
    return message_event(
      gw::rpc_result(id_, gw::failed_result(http::message_of(err))));
  }

private:
  std::string progress(const std::string& message) {
    return message_event(
      gw::progress_notification(token_, ++progress_, message));
  }

  nlohmann::json id_;
  nlohmann::json token_;
  uint64_t progress_ = 0;
};

} // namespace

std::unique_ptr<stream_format> mcp_call_events(nlohmann::json id,
                                               nlohmann::json token) {
  return std::make_unique<mcp_call_format>(std::move(id), std::move(token));
}

} // namespace bsm
