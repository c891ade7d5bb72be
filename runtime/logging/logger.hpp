#pragma once

// The node's one logger: spdlog, asynchronous so that a CAF scheduler thread
// never waits on a terminal or disk, writing plain text or JSON lines. It is
// never registered as spdlog's global default; whoever logs gets it passed.

#include <memory>
#include <string>

#include <caf/expected.hpp>
#include <spdlog/logger.h>

#include "runtime/logging/logging_options.hpp"

namespace bsm {

/// A logger plus the background thread that writes its records.
struct node_logger {
  std::shared_ptr<spdlog::logger> log;
  /// Owns the writer thread; keep it alive as long as `log` is used.
  std::shared_ptr<void> pool;
  /// Records dropped because the queue was full (it never blocks callers).
  [[nodiscard]] size_t dropped() const;
};

/// Creates the node's logger from `opts`. With `logging.file` set, records
/// append to that file; otherwise they go to standard error.
/// Errors: `invalid_argument` for an unknown level, `unavailable` for a log
/// file that cannot be opened.
[[nodiscard]] caf::expected<node_logger>
make_node_logger(const logging_options& opts, const std::string& node_name);

/// A synchronous logger writing to standard error, for tools and tests.
std::shared_ptr<spdlog::logger> make_stderr_logger(const std::string& name);

/// A logger that drops everything (tests that do not look at logs).
std::shared_ptr<spdlog::logger> make_null_logger();

} // namespace bsm
