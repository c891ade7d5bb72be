#pragma once

// The agents of a node in the supervision tree:
//
//   root ── agents (supervisor, one_for_one) ── one agent actor per
//        │                                       definition: agents/<name>
//        └─ agent_manager   lists them (GET /v1/agents) and reloads the
//                           definitions (SIGHUP)
//
// A reload reads the files on a detached helper (blocking I/O), swaps the
// catalog (all or nothing), then starts the added agents and stops the
// removed ones; changed agents keep running and use their new definition
// from their next turn, so no queued turn is dropped. The decisions are
// plain code: agent_listing.hpp (what a list shows) and agent_reload.hpp.

#include <memory>
#include <string>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/interfaces.hpp"
#include "agents/agent_actor.hpp"
#include "agents/agent_reload.hpp"
#include "runtime/mailbox/mailbox_depths.hpp"
#include "runtime/supervision/supervisor.hpp"

namespace bsm::agents {

struct agent_manager_state {
  static constexpr const char* name = "agent_manager";

  agent_env env;
  std::shared_ptr<mailbox_depths> depths;
  std::chrono::milliseconds shutdown_timeout{5'000};
  /// Open while a reload runs; a second one is refused until it ends.
  reload_gate reload;
};

/// The child spec of one agent, named after it.
child_spec agent_child(const std::string& name, agent_env env,
                       std::chrono::milliseconds shutdown_timeout);

/// The options of the "agents" supervisor at `path`, made from `opts`:
/// one child per agent the catalog holds now, in its order.
supervisor_options
agents_supervisor_options(supervisor_options opts, const std::string& path,
                          const agent_env& env,
                          std::chrono::milliseconds shutdown_timeout);

/// The "agents" supervisor; at every (re)start it starts one child per
/// agent the catalog holds then. It waits for every agent to stop: twice
/// an agent's shutdown timeout and a second.
child_spec agents_supervisor_child(agent_env env, supervisor_options opts,
                                   supervision_env sup_env,
                                   std::chrono::milliseconds shutdown_timeout);

/// The agent manager's child spec.
child_spec agent_manager_child(agent_env env,
                               std::shared_ptr<mailbox_depths> depths,
                               std::chrono::milliseconds shutdown_timeout);

agent_manager_actor::behavior_type
agent_manager(agent_manager_actor::stateful_pointer<agent_manager_state> self,
              agent_env env, std::shared_ptr<mailbox_depths> depths,
              std::chrono::milliseconds shutdown_timeout);

} // namespace bsm::agents
