#pragma once

// The task queue (section `tasks:`; tasks_actor.hpp). The initialisers are
// the defaults; keys and ranges are in tasks_options.cpp. Reload: a restart.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/config/config_section.hpp"

namespace bsm::tasks {

struct tasks_options {
  /// Tasks waiting (queued or failed, waiting for a retry) at once; a
  /// submit beyond them is refused (resource_exhausted, HTTP 429). Each
  /// waiting task holds about 250-300 bytes of memory; its record is on disk.
  uint64_t max_queued = 100'000;
  /// Attempts of a task that names none.
  uint32_t max_attempts = 3;
  /// Backoff between attempts of a task that names none: exponential from
  /// `backoff_initial`, capped at `backoff_max`, with jitter (half to all
  /// of each wait).
  std::chrono::milliseconds backoff_initial{1'000};
  std::chrono::milliseconds backoff_max{60'000};
  /// Tasks of one target (an agent or an actor) running at once.
  uint32_t concurrency = 4;
  /// Per-agent limits overriding `concurrency`, as "name=N".
  std::vector<std::string> agent_concurrency;
  /// Waiting this long raises a waiting task's priority by one, so a task
  /// waits at most 9 x aging_step behind tasks that came after it.
  std::chrono::milliseconds aging_step{10'000};
  /// One attempt's limit for a task that names none.
  std::chrono::milliseconds attempt_timeout{120'000};
  /// The largest page GET /v1/tasks answers (larger limits are clamped).
  uint32_t list_limit_max = 1'000;
};

/// The `tasks:` section.
const config::section<tasks_options>& tasks_section();

/// The problem with one `agent_concurrency` entry, or empty.
std::string agent_limit_problem(std::string_view entry);

/// `agent_concurrency` by target path ("agents/<name>" -> N).
/// REQUIRES: every entry passes agent_limit_problem.
std::map<std::string, uint32_t> target_limits(const tasks_options& opts);

} // namespace bsm::tasks
