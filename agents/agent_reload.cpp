#include "agents/agent_reload.hpp"

#include "runtime/error.hpp"

namespace bsm::agents {

v1::AgentReloadResponse reload_response(caf::expected<catalog_diff> diff) {
  v1::AgentReloadResponse resp;
  if (!diff) {
    resp.add_errors(render(diff.error()));
    return resp;
  }
  for (auto& x : diff->added)
    resp.add_added(std::move(x));
  for (auto& x : diff->updated)
    resp.add_updated(std::move(x));
  for (auto& x : diff->removed)
    resp.add_removed(std::move(x));
  return resp;
}

std::string reload_summary(const v1::AgentReloadResponse& resp) {
  return "agents reloaded: " + std::to_string(resp.added_size()) + " added, "
         + std::to_string(resp.updated_size()) + " updated, "
         + std::to_string(resp.removed_size()) + " removed, "
         + std::to_string(resp.errors_size()) + " errors";
}

caf::error reload_gate::enter() {
  if (running_)
    return make_error(errc::unavailable, "a reload is running");
  running_ = true;
  return caf::none;
}

} // namespace bsm::agents
