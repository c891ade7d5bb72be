#pragma once

// The two ways a workflow definition writes time: durations ("250ms",
// "30s", "5m", "2h", "1d") and absolute times (RFC 3339). Plain functions.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace bsm::workflows {

/// A point in time with millisecond precision (UTC).
using time_point = std::chrono::time_point<std::chrono::system_clock,
                                           std::chrono::milliseconds>;

/// Parses a count with a unit: ms, s, m, h or d. Unlike the node config,
/// a bare number is refused: in a workflow "30" is too easily meant as
/// seconds. Returns nullopt for anything else or an overflow.
[[nodiscard]] std::optional<std::chrono::milliseconds>
parse_duration(std::string_view text);

/// Renders `x` in the largest unit that divides it ("30s", "2h", "250ms"),
/// so that equal durations render alike whatever unit they were given in.
[[nodiscard]] std::string render_duration(std::chrono::milliseconds x);

/// Parses an RFC 3339 time ("2026-03-01T09:00:00Z", with an optional
/// fraction and a "+01:00" style offset). Returns nullopt for anything else.
[[nodiscard]] std::optional<time_point> parse_rfc3339(std::string_view text);

/// The wording of a duration error: "a duration such as 250ms, ...".
inline constexpr const char* duration_expected
  = "a duration such as 250ms, 30s, 5m, 2h or 1d";

} // namespace bsm::workflows
