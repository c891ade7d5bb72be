#pragma once

// Event topics and the patterns subscribers match them with (the event bus,
// `actors/event_bus.hpp`, and the HTTP bridge's `GET /v1/events?topic=`).
//
// A topic is 1..256 characters: non-empty segments separated by '.', each
// segment made of [A-Za-z0-9_-] plus ':' and '/' (so an actor path such as
// "agents/legal" or a "host:port" fits in one segment), e.g.
// "supervision.child_crashed" or "agent.agents/legal.completed".
//
// A pattern has the same form, except that a segment may be `*`, which
// matches exactly one segment, and the last segment may be `#`, which matches
// zero or more trailing segments. `*` and `#` stand alone in their segment
// ("a*" is invalid). Examples: "agent.*.completed", "task.#" (matches "task"
// and "task.a.b"), "#" (matches every topic).

#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace bsm::events {

/// Longest topic or pattern, in characters.
inline constexpr size_t max_topic_size = 256;

/// Errors: `invalid_argument` naming the topic and what is wrong with it.
[[nodiscard]] caf::error validate_topic(std::string_view topic);

/// Errors: `invalid_argument` naming the pattern and what is wrong with it.
[[nodiscard]] caf::error validate_pattern(std::string_view pattern);

/// A validated pattern, split once so that matching does not allocate.
/// A value type; thread-compatible (const members may be used concurrently).
class topic_pattern {
public:
  /// Errors: those of `validate_pattern`.
  [[nodiscard]] static caf::expected<topic_pattern> parse(std::string pattern);

  /// True if `topic` matches. REQUIRES: validate_topic(topic) succeeded (an
  /// invalid topic gives an unspecified answer, but never undefined
  /// behavior).
  [[nodiscard]] bool matches(std::string_view topic) const noexcept;

  /// The pattern as given.
  [[nodiscard]] const std::string& str() const noexcept {
    return text_;
  }

private:
  topic_pattern() = default;

  std::string text_;
  /// `text_` split at '.'.
  std::vector<std::string> segments_;
};

/// True if `topic` matches `pattern`.
/// Errors: `invalid_argument` if the pattern or the topic is malformed.
[[nodiscard]] caf::expected<bool> match(std::string_view pattern,
                                        std::string_view topic);

} // namespace bsm::events
