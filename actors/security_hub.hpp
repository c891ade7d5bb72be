#pragma once

// The security hub's actor: a thin adapter over credentials_service
// (runtime/security/), which does the work. Detached, because the store
// and password hashing block. After every change to users or keys it
// makes a new authenticator and puts it in the slot the HTTP front reads,
// so requests never wait for the store.

#include <memory>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/logger.h>

#include "actors/interfaces.hpp"
#include "runtime/security/authenticator.hpp"
#include "runtime/security/credentials_service.hpp"

namespace bsm {

struct security_hub_state {
  static constexpr const char* name = "security";

  std::unique_ptr<security::credentials_service> service;
  std::shared_ptr<security::authenticator_slot> access;
  std::shared_ptr<spdlog::logger> log;

  /// Puts a fresh authenticator in the slot; logs a failure and keeps the
  /// old one.
  void publish();
};

using security_hub_pointer
  = security_hub_actor::stateful_pointer<security_hub_state>;

/// Spawn with `sys.spawn<caf::detached>(security_hub, ...)`. Fails at once
/// (and the supervisor sees it) if the credentials cannot be opened.
security_hub_actor::behavior_type
security_hub(security_hub_pointer self, security_options opts, store* db,
             std::shared_ptr<security::authenticator_slot> access,
             std::shared_ptr<spdlog::logger> log,
             security::login_backoff_metrics backoff_metrics);

} // namespace bsm
