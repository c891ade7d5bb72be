#include "http_api/session_page.hpp"

#include <algorithm>

#include "actors/sse_stream.hpp"
#include "http_api/chat_format.hpp"
#include "runtime/error.hpp"

namespace bsm::http_handlers {

namespace {

// Digits only, at most `max`; nothing for anything else.
std::optional<uint64_t> decimal(const std::string& text, uint64_t max) {
  if (text.empty() || text.size() > 20)
    return std::nullopt;
  uint64_t result = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    auto digit = static_cast<uint64_t>(c - '0');
    if (result > (max - digit) / 10)
      return std::nullopt;
    result = result * 10 + digit;
  }
  return result;
}

} // namespace

caf::expected<uint32_t> page_limit(const std::optional<std::string>& text,
                                   uint32_t default_limit) {
  if (!text)
    return default_limit;
  // Any number of digits is a number: a huge one is clamped, not refused.
  auto digits_only
    = !text->empty() && std::all_of(text->begin(), text->end(), [](char c) {
        return c >= '0' && c <= '9';
      });
  if (!digits_only)
    return make_error(errc::invalid_argument,
                      "limit must be a number from 1 to "
                        + std::to_string(max_page_limit));
  auto n = decimal(*text, max_page_limit * 10ull).value_or(max_page_limit);
  return static_cast<uint32_t>(std::clamp<uint64_t>(n, 1, max_page_limit));
}

caf::expected<uint64_t> turn_cursor(const std::optional<std::string>& text) {
  if (!text)
    return uint64_t{0};
  auto n = decimal(*text, UINT64_MAX);
  if (!n)
    return make_error(errc::invalid_argument,
                      "after must be the number of a turn (0 or more)");
  return *n;
}

nlohmann::json sessions_json(const v1::SessionListResponse& list,
                             const std::string& node) {
  auto sessions = nlohmann::json::array();
  for (const auto& x : list.sessions())
    sessions.push_back(
      {{"session_id", x.session_id()},
       {"turns", x.last_seq()},
       {"last_activity", rfc3339_ms(x.last_activity_unix_ms())},
       {"node", node}});
  return {{"sessions", std::move(sessions)}};
}

nlohmann::json session_json(const std::string& session_id,
                            const v1::SessionPageResponse& page) {
  auto turns = nlohmann::json::array();
  for (const auto& x : page.turns()) {
    auto calls = nlohmann::json::array();
    for (const auto& step : x.steps())
      calls.push_back(chat_format::step(step));
    nlohmann::json usage = nullptr;
    if (x.has_usage())
      usage = chat_format::usage(x.usage());
    turns.push_back({{"role", x.role()},
                     {"content", x.content()},
                     {"tool_calls", std::move(calls)},
                     {"usage", std::move(usage)},
                     {"time", rfc3339_ms(x.time_unix_ms())}});
  }
  return {{"session_id", session_id}, {"turns", std::move(turns)}};
}

} // namespace bsm::http_handlers
