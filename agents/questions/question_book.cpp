#include "agents/questions/question_book.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "agents/caller.hpp"
#include "agents/mcp/server_requests.hpp"
#include "runtime/error.hpp"

namespace bsm::agents {

question_book::question_book(size_t max_pending, int64_t max_wait_ms)
  : max_pending_(max_pending), max_wait_ms_(max_wait_ms) {}

caf::expected<v1::Question> question_book::add(v1::Question q,
                                               const std::string& agent,
                                               v1::Principal owner,
                                               std::string id, int64_t now_ms) {
  if (q.turn_id().empty())
    return make_error(errc::invalid_argument, "a question needs its turn id");
  if (!nlohmann::json::parse(q.schema_json(), nullptr, false).is_object())
    return make_error(errc::invalid_argument,
                      "a question's form (schema) must be a JSON object");
  if (entries_.size() >= max_pending_)
    return make_error(errc::resource_exhausted,
                      "agent " + agent + " has "
                        + std::to_string(entries_.size())
                        + " questions pending, its limit");
  auto latest = now_ms + max_wait_ms_;
  auto asked_for = q.deadline_unix_ms();
  q.set_id(std::move(id));
  q.set_agent(agent);
  q.set_asked_unix_ms(now_ms);
  q.set_deadline_unix_ms(asked_for > 0 ? std::min(asked_for, latest) : latest);
  q.clear_action();
  q.clear_content_json();
  q.clear_answered_by();
  auto key = q.id();
  entries_[key] = entry{q, std::move(owner)};
  return q;
}

std::vector<v1::Question>
question_book::pending(const std::string& session_id,
                       const v1::Principal& caller) const {
  std::vector<v1::Question> out;
  for (const auto& [id, e] : entries_)
    if ((session_id.empty() || e.question.session_id() == session_id)
        && may_cancel(caller, e.owner, e.question.agent()))
      out.push_back(e.question);
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.asked_unix_ms() < b.asked_unix_ms();
  });
  return out;
}

caf::expected<v1::Question>
question_book::answer(const std::string& id, const std::string& action,
                      const std::string& content_json,
                      const v1::Principal& caller) {
  auto i = entries_.find(id);
  if (i == entries_.end())
    return make_error(errc::not_found, "no question '" + id + "' is pending");
  const auto& q = i->second.question;
  if (!may_cancel(caller, i->second.owner, q.agent()))
    return make_error(errc::permission_denied,
                      "question " + id + " is for the caller of turn "
                        + q.turn_id() + "; answering it for them needs agents:"
                        + q.agent() + ":cancel");
  if (action != "accept" && action != "decline" && action != "cancel")
    return make_error(errc::invalid_argument,
                      "action must be accept, decline or cancel, not '" + action
                        + "'");
  std::string content;
  if (action == "accept") {
    content = content_json.empty() ? "{}" : content_json;
    if (auto problem = mcp::form_problem(q.schema_json(), content);
        !problem.empty())
      return make_error(errc::invalid_argument,
                        "question " + id + ": " + problem);
  }
  return settle(i, action, std::move(content), caller.name());
}

std::vector<v1::Question> question_book::expire(int64_t now_ms) {
  std::vector<v1::Question> out;
  for (auto i = entries_.begin(); i != entries_.end();) {
    auto next = std::next(i);
    if (i->second.question.deadline_unix_ms() <= now_ms)
      out.push_back(settle(i, "decline", {}, {}));
    i = next;
  }
  return out;
}

std::vector<v1::Question> question_book::end_turn(const std::string& turn_id) {
  std::vector<v1::Question> out;
  for (auto i = entries_.begin(); i != entries_.end();) {
    auto next = std::next(i);
    if (i->second.question.turn_id() == turn_id)
      out.push_back(settle(i, "cancel", {}, {}));
    i = next;
  }
  return out;
}

std::optional<int64_t> question_book::next_deadline() const {
  std::optional<int64_t> out;
  for (const auto& [id, e] : entries_)
    if (!out || e.question.deadline_unix_ms() < *out)
      out = e.question.deadline_unix_ms();
  return out;
}

v1::Question question_book::settle(std::map<std::string, entry>::iterator i,
                                   const std::string& action,
                                   std::string content_json,
                                   std::string answered_by) {
  auto q = std::move(i->second.question);
  entries_.erase(i);
  q.set_action(action);
  q.set_content_json(std::move(content_json));
  q.set_answered_by(std::move(answered_by));
  return q;
}

} // namespace bsm::agents
