#include "http_api/dead_letter_page.hpp"

#include "actors/sse_stream.hpp"
#include "runtime/mailbox/dead_letters.hpp"

namespace bsm::http_handlers {

nlohmann::json dead_letter_json(const v1::DeadLetterEntry& entry,
                                const std::string& node) {
  const auto& letter = entry.letter();
  const auto& envelope = letter.envelope();
  // An outbox's letter names the target on the other node.
  auto actor = envelope.target();
  if (actor.empty())
    if (auto id = mailbox::parse_dead_letter_id(entry.id()))
      actor = id->first;
  return {{"id", entry.id()},
          {"actor", actor},
          {"type", envelope.type_name()},
          {"reason", std::string{mailbox::to_string(letter.reason())}},
          {"attempts", envelope.attempt()},
          {"first_error", letter.first_error()},
          {"last_error", letter.error()},
          {"time", rfc3339_ms(letter.dead_unix_ms())},
          {"message_id", envelope.id()},
          {"node", node}};
}

nlohmann::json dead_letters_json(const v1::DeadLetterListResponse& list,
                                 const std::string& node) {
  auto letters = nlohmann::json::array();
  for (const auto& x : list.letters())
    letters.push_back(dead_letter_json(x, node));
  nlohmann::json next = nullptr;
  if (!list.next_after().empty())
    next = list.next_after();
  return {{"dead_letters", std::move(letters)},
          {"next_after", std::move(next)}};
}

} // namespace bsm::http_handlers
