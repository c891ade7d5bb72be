#pragma once

// Agents (section `agents:`): where definitions come from and how the
// agents and their manager wait. The initialisers are the defaults; keys
// and ranges are in agents_options.cpp. Reload: SIGHUP and
// POST /v1/agents/reload re-read the definitions in these paths; the
// options themselves need a restart.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "runtime/config/config_section.hpp"

namespace bsm {

struct agents_options {
  /// Agent definition files or folders.
  std::vector<std::filesystem::path> paths{"agents/seed/"};
  /// Turns one session may have waiting behind its running turn; more are
  /// refused with unavailable. Above what the mailbox window and the HTTP
  /// connections can have in flight together, so only a runaway caller
  /// meets it.
  uint64_t max_waiting_turns = 4096;
  /// Time GET /v1/agents waits for the agents' states before it lists them
  /// without.
  std::chrono::milliseconds list_timeout{5'000};
  /// Time a reload gets to read and index every definition.
  std::chrono::milliseconds reload_timeout{120'000};
};

/// The `agents:` section.
const config::section<agents_options>& agents_section();

} // namespace bsm
