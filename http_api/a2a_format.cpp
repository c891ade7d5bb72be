#include "http_api/a2a_format.hpp"

#include "gateway/a2a_tasks.hpp"
#include "runtime/http/error_response.hpp"

namespace bsm {

namespace {

namespace gw = gateway;

class a2a_task_format : public stream_format {
public:
  a2a_task_format(nlohmann::json id, gw::task_view task, gw::a2a_dialect d,
                  std::shared_ptr<gw::a2a_tasks> tasks)
    : id_(std::move(id)), task_(std::move(task)), dialect_(d),
      tasks_(std::move(tasks)) {}

  // A stream whose client left ends before the turn: the task then says
  // so rather than staying working.
  ~a2a_task_format() override {
    if (!ended_)
      tasks_->fail(task_.id, "the stream closed before the turn ended (its "
                             "client left); the answer goes to the session "
                             "named by the contextId");
  }

  std::string opening(const std::string&) override {
    return event(gw::stream_task_event(task_, dialect_));
  }

  std::string piece(const v1::ChatDelta& delta) override {
    if (delta.content().empty())
      return {};
    auto out = event(gw::stream_artifact_event(
      task_, delta.content(), !streamed_.empty(), false, dialect_));
    streamed_ += delta.content();
    return out;
  }

  std::string closing(const v1::ChatReply& reply) override {
    std::string out;
    // What was not streamed (a provider that did not stream, or an agent
    // on another node) comes as the last piece.
    const auto& output = reply.output();
    bool continues = output.size() > streamed_.size()
                     && output.compare(0, streamed_.size(), streamed_) == 0;
    if (continues || (streamed_.empty() && !output.empty()))
      out += event(gw::stream_artifact_event(
        task_, output.substr(continues ? streamed_.size() : 0),
        !streamed_.empty(), true, dialect_));
    ended_ = true;
    auto now = tasks_->complete(task_.id, output);
    return out + last_status(now, gw::task_state::completed);
  }

  std::string failure(const caf::error& err, const std::string&) override {
    auto why = http::message_of(err);
    ended_ = true;
    auto now = tasks_->fail(task_.id, why);
    task_.error = why;
    return last_status(now, gw::task_state::failed);
  }

private:
  // The task's state as the store now has it (a cancel may have come), or
  // `fallback` if the store forgot it.
  std::string last_status(const std::optional<gw::task_view>& now,
                          gw::task_state fallback) {
    if (now) {
      task_.state = now->state;
      task_.error = now->error;
    } else {
      task_.state = fallback;
    }
    return event(gw::stream_status_event(task_, dialect_));
  }

  std::string event(nlohmann::json result) const {
    return "data: "
           + gw::rpc_result(id_, std::move(result))
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
           + "\n\n";
  }

  nlohmann::json id_;
  gw::task_view task_;
  gw::a2a_dialect dialect_;
  std::shared_ptr<gw::a2a_tasks> tasks_;
  std::string streamed_;
  bool ended_ = false;
};

} // namespace

std::unique_ptr<stream_format>
a2a_task_events(nlohmann::json id, gateway::task_view task,
                gateway::a2a_dialect dialect,
                std::shared_ptr<gateway::a2a_tasks> tasks) {
  return std::make_unique<a2a_task_format>(std::move(id), std::move(task),
                                           dialect, std::move(tasks));
}

} // namespace bsm
