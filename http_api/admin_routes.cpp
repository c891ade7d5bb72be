// POST /v1/admin/reload (API.md, "Administration"): what SIGHUP does,
// asked over HTTP, so no one has to find the right process to signal.

#include <memory>

#include <caf/event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include "http_api/handlers.hpp"
#include "runtime/error.hpp"
#include "runtime/http/error_response.hpp"

namespace bsm::http_handlers {

namespace bhttp = boost::beast::http;

namespace {

using namespace std::chrono_literals;

// Above the agent manager's own two minutes: its answer, not ours, says
// when a reload took too long.
constexpr auto reload_timeout = 3min;

using reload_function = std::function<caf::expected<v1::AgentReloadResponse>()>;

// Runs one reload on its own thread (spawned detached): the reload waits
// for the agent manager and reads files, which no scheduler thread may.
caf::behavior reload_worker(caf::event_based_actor* self, reload_function run,
                            std::shared_ptr<std::atomic<bool>> reloading) {
  // However it ends, the next reload may start: released before the
  // answer (a client that asks again at once finds it free), or when the
  // worker ends without one.
  auto released = std::make_shared<bool>(false);
  self->attach_functor([reloading, released] {
    if (!*released)
      reloading->store(false);
  });
  return {
    [self, run, reloading,
     released](atom::reload) -> caf::result<v1::AgentReloadResponse> {
      self->quit();
      auto done = run();
      *released = true;
      reloading->store(false);
      if (!done)
        return std::move(done.error());
      return std::move(*done);
    },
  };
}

nlohmann::json names(const google::protobuf::RepeatedPtrField<std::string>& x) {
  return std::vector<std::string>{x.begin(), x.end()};
}

} // namespace

void admin_reload(http_bridge_pointer self, ex_ptr ex) {
  const auto& env = *self->state.env;
  if (!env.reload)
    return http::respond_error(
      *ex, make_error(errc::unavailable, "this node cannot reload"));
  if (env.reloading->exchange(true))
    return http::respond_error(
      *ex, make_error(errc::aborted, "a reload is already running; ask again "
                                     "when it is done"));
  auto worker
    = self->spawn<caf::detached>(reload_worker, env.reload, env.reloading);
  self->request(worker, reload_timeout, atom::reload::value)
    .then(
      [ex](v1::AgentReloadResponse& resp) {
        nlohmann::json body{{"reload", "done"},
                            {"added", names(resp.added())},
                            {"updated", names(resp.updated())},
                            {"removed", names(resp.removed())},
                            {"errors", names(resp.errors())}};
        ex->respond(http::make_json_response(bhttp::status::ok, body.dump()));
      },
      [ex](caf::error& err) { http::respond_error(*ex, err); });
}

} // namespace bsm::http_handlers
