#pragma once

// The pure parts of the dead letter routes (API.md, "Message injection"):
// the JSON shapes, tested without an actor system.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "protocols/caf_types.hpp"

namespace bsm::http_handlers {

/// Dead letters per page without `limit` (at most max_page_limit).
inline constexpr uint32_t default_dead_letter_limit = 100;

/// {"id","actor","type","reason","attempts","first_error","last_error",
/// "time","message_id","node"}; `node` is the node whose store holds it.
nlohmann::json dead_letter_json(const v1::DeadLetterEntry& entry,
                                const std::string& node);

/// {"dead_letters":[...],"next_after":id or null on the last page}.
nlohmann::json dead_letters_json(const v1::DeadLetterListResponse& list,
                                 const std::string& node);

} // namespace bsm::http_handlers
