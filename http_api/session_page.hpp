#pragma once

// The pure parts of the session routes (API.md, "Agents"): the paging
// parameters and the JSON shapes, tested without an actor system.

#include <cstdint>
#include <optional>
#include <string>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "bsm/v1/memory.pb.h"

namespace bsm::http_handlers {

/// Sessions or turns per page without `limit`.
inline constexpr uint32_t default_page_limit = 20;
/// The most per page; a larger `limit` is clamped to it.
inline constexpr uint32_t max_page_limit = 1000;

/// The `limit` parameter: absent -> `default_limit`; a decimal number
/// clamped to [1, max_page_limit]. Errors: invalid_argument for anything
/// but digits.
caf::expected<uint32_t> page_limit(const std::optional<std::string>& text,
                                   uint32_t default_limit = default_page_limit);

/// The `after` parameter of a session's turns: the number of the last turn
/// already read (exclusive); absent -> 0. Errors: invalid_argument for
/// anything but a decimal number that fits in 64 bits.
caf::expected<uint64_t> turn_cursor(const std::optional<std::string>& text);

/// {"sessions":[{"session_id","turns","last_activity","node"}]}; `node`:
/// the node that owns the agent's sessions.
nlohmann::json sessions_json(const v1::SessionListResponse& list,
                             const std::string& node);

/// {"session_id","turns":[{"role","content","tool_calls","usage","time"}]}.
/// Memory keeps neither tool calls nor usage per turn: they are [] and null.
nlohmann::json session_json(const std::string& session_id,
                            const v1::SessionPageResponse& page);

} // namespace bsm::http_handlers
