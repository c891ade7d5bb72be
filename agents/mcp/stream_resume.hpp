#pragma once

// When the HTTP transport resumes an event stream that ended (the spec's
// "resumability": GET with Last-Event-ID): a pure decision, tested without
// a network.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace bsm::mcp {

struct resume_policy {
  /// Reconnects in a row that bring no event before a stream is given up.
  /// Default: 5.
  uint32_t max_attempts = 5;
  /// Wait before a reconnect when the server sent no `retry:`; doubles
  /// per failed attempt. Default: 1s.
  std::chrono::milliseconds default_retry{1'000};
  /// Longest wait before a reconnect, the server's `retry:` included.
  /// Default: 30s.
  std::chrono::milliseconds max_retry{30'000};
};

/// How one event stream ended.
struct stream_end {
  /// The stream for server-initiated messages (GET), which carries no
  /// answer and is reopened even without an event id.
  bool standalone = false;
  /// The answer the stream was opened for came through it.
  bool answered = false;
  /// The id of its last event; empty if none had one.
  std::string last_event_id;
  /// The server's last `retry:`, if any.
  std::optional<std::chrono::milliseconds> retry;
  /// Reconnects of this stream in a row that brought no event.
  uint32_t failed_attempts = 0;
};

struct resume_decision {
  enum kind {
    /// Nothing to resume: the answer came.
    done,
    /// Reconnect (GET, Last-Event-ID if there is one) after `delay`.
    resume,
    /// Stop; `reason` says why ("no event id to resume from").
    give_up,
  };
  kind what = done;
  std::chrono::milliseconds delay{0};
  std::string reason;
};

/// What to do with a stream that ended as `end` says.
resume_decision decide_resume(const stream_end& end,
                              const resume_policy& policy);

} // namespace bsm::mcp
