#pragma once

// One turn at a time per session: a turn of a session with a running turn
// waits, in arrival order, until the running one ends; turns of different
// sessions (and turns without a session) run side by side. Bounded: a
// session has at most `max_waiting` turns waiting. Pure state, driven by
// the agent actor (one thread).

#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace bsm::agents {

/// `Turn` is what waits: for the actor, a request and its promise.
template <class Turn>
class session_queue {
public:
  /// REQUIRES: max_waiting > 0.
  explicit session_queue(size_t max_waiting) : max_waiting_(max_waiting) {}

  /// True if a turn of `session` may start now; the session is then busy
  /// until release(). The empty session (no session) is never busy.
  [[nodiscard]] bool try_start(const std::string& session) {
    if (session.empty())
      return true;
    return busy_.insert(session).second;
  }

  /// True if `session` has max_waiting turns waiting: enqueue() must not
  /// be called, the turn is refused.
  [[nodiscard]] bool full(const std::string& session) const {
    auto i = waiting_.find(session);
    return i != waiting_.end() && i->second.size() >= max_waiting_;
  }

  /// Queues `turn` behind the running turn of `session`.
  /// REQUIRES: try_start(session) was false and full(session) is false.
  void enqueue(const std::string& session, Turn turn) {
    waiting_[session].push_back(std::move(turn));
  }

  /// The running turn of `session` ended. Returns the next waiting turn,
  /// which the caller starts at once (the session stays busy for it), or
  /// nullopt when none waits (the session is idle).
  [[nodiscard]] std::optional<Turn> release(const std::string& session) {
    auto i = waiting_.find(session);
    if (i == waiting_.end()) {
      busy_.erase(session);
      return std::nullopt;
    }
    std::optional<Turn> next{std::move(i->second.front())};
    i->second.pop_front();
    if (i->second.empty())
      waiting_.erase(i);
    return next;
  }

  /// The first waiting turn (of any session) for which `match` holds, or
  /// null. Valid until the queue changes.
  template <class Predicate>
  [[nodiscard]] const Turn* find_waiting(Predicate match) const {
    for (const auto& [session, turns] : waiting_)
      for (const auto& x : turns)
        if (match(x))
          return &x;
    return nullptr;
  }

  /// Removes the first waiting turn (of any session) for which `match`
  /// holds and returns it; nullopt if none does. Linear in the waiting
  /// turns, which are bounded per session.
  template <class Predicate>
  [[nodiscard]] std::optional<Turn> remove_waiting(Predicate match) {
    for (auto i = waiting_.begin(); i != waiting_.end(); ++i) {
      auto& turns = i->second;
      for (auto j = turns.begin(); j != turns.end(); ++j) {
        if (!match(*j))
          continue;
        std::optional<Turn> found{std::move(*j)};
        turns.erase(j);
        if (turns.empty())
          waiting_.erase(i);
        return found;
      }
    }
    return std::nullopt;
  }

  /// True while a turn of `session` runs.
  [[nodiscard]] bool busy(const std::string& session) const {
    return busy_.count(session) > 0;
  }

  /// The turns of `session` waiting.
  [[nodiscard]] size_t waiting(const std::string& session) const {
    auto i = waiting_.find(session);
    return i == waiting_.end() ? 0 : i->second.size();
  }

private:
  size_t max_waiting_;
  std::set<std::string> busy_;
  std::map<std::string, std::deque<Turn>> waiting_;
};

} // namespace bsm::agents
