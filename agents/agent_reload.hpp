#pragma once

// The decisions of a reload of the agent definitions (SIGHUP, or an
// AgentReloadRequest): one at a time, and all or nothing. Plain code; the
// agent manager runs the load on a helper thread and starts and stops the
// agents the answer names.

#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "agents/agent_catalog.hpp"
#include "protocols/caf_types.hpp"

namespace bsm::agents {

/// The answer to a reload from what agent_catalog::load() gave: the agents
/// added (to start), updated (they keep running) and removed (to stop), or
/// the load's error alone, with no names, since nothing changed.
[[nodiscard]] v1::AgentReloadResponse
reload_response(caf::expected<catalog_diff> diff);

/// The log line of a reload's outcome.
[[nodiscard]] std::string reload_summary(const v1::AgentReloadResponse& resp);

/// One reload at a time.
class reload_gate {
public:
  /// Lets a reload in. Errors: unavailable while another one runs (the
  /// caller may retry once it ended).
  [[nodiscard]] caf::error enter();

  /// The reload let in ended (answered or failed).
  void leave() {
    running_ = false;
  }

  [[nodiscard]] bool running() const {
    return running_;
  }

private:
  bool running_ = false;
};

} // namespace bsm::agents
