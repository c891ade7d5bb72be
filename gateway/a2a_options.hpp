#pragma once

// The A2A server at /a2a/agents/{name} (section `a2a:`): the agents for
// agents of other frameworks. The initialisers are the defaults; keys and
// ranges are in a2a_options.cpp. Reload: a restart.

#include <cstdint>
#include <string>

#include "runtime/config/config_section.hpp"

namespace bsm::gateway {

struct a2a_options {
  /// Serve /a2a at all.
  bool enabled = true;
  /// Tasks remembered for GetTask and CancelTask (each about 200 bytes
  /// besides its answer); beyond them the oldest is forgotten.
  uint64_t max_tasks = 10'000;
  /// Bytes of answers the remembered tasks keep together; beyond them the
  /// oldest tasks are forgotten. Default: 64 MiB.
  uint64_t max_task_bytes = 64ULL << 20;
  /// The base URL the Agent Cards name ("https://agents.example.com"), as
  /// clients reach the node through proxies. Empty: http(s)://<Host of the
  /// card's request>.
  std::string public_url;
};

/// The `a2a:` section.
const config::section<a2a_options>& a2a_section();

} // namespace bsm::gateway
