#pragma once

// The questions an agent's running turns wait on (agents.proto, Question):
// an MCP server asked the turn's caller something during a tool call (its
// elicitation policy is `ask`), and the call waits until the caller, or
// someone allowed to cancel the agent's turns, answers through the API, or
// until the question's deadline declines it. A plain class: the agent
// actor keeps one and holds the answer's promise next to it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "protocols/caf_types.hpp"

namespace bsm::agents {

class question_book {
public:
  /// At most `max_pending` questions at once, each waiting at most
  /// `max_wait_ms`.
  question_book(size_t max_pending, int64_t max_wait_ms);

  /// Holds `q` for a turn acting for `owner`: sets its id (`id`), agent,
  /// asked time (`now_ms`) and deadline (the one it asks for, at most
  /// max_wait from now; none given: max_wait). Errors: resource_exhausted
  /// when max_pending are pending, invalid_argument without a turn id or
  /// with a schema that is not a JSON object.
  caf::expected<v1::Question> add(v1::Question q, const std::string& agent,
                                  v1::Principal owner, std::string id,
                                  int64_t now_ms);

  /// The pending questions `caller` may answer, oldest first; those of
  /// `session_id` when it is not empty.
  std::vector<v1::Question> pending(const std::string& session_id,
                                    const v1::Principal& caller) const;

  /// Settles the question `id`: action accept (with `content_json`, which
  /// must fill the question's form), decline or cancel. Errors: not_found,
  /// invalid_argument, permission_denied (`caller` is neither the turn's
  /// caller nor granted agents:<agent>:cancel).
  caf::expected<v1::Question> answer(const std::string& id,
                                     const std::string& action,
                                     const std::string& content_json,
                                     const v1::Principal& caller);

  /// Declines and removes the questions whose deadline is at or before
  /// `now_ms`.
  std::vector<v1::Question> expire(int64_t now_ms);

  /// Cancels and removes the questions of the turn `turn_id` (it ended).
  std::vector<v1::Question> end_turn(const std::string& turn_id);

  /// The earliest deadline of a pending question.
  std::optional<int64_t> next_deadline() const;

  size_t size() const noexcept {
    return entries_.size();
  }

private:
  struct entry {
    v1::Question question;
    v1::Principal owner;
  };

  v1::Question settle(std::map<std::string, entry>::iterator i,
                      const std::string& action, std::string content_json,
                      std::string answered_by);

  size_t max_pending_;
  int64_t max_wait_ms_;
  // By id; ids start with the time they were made, so this is oldest first
  // only by chance: pending() sorts by asked time.
  std::map<std::string, entry> entries_;
};

} // namespace bsm::agents
