#pragma once

// The A2A tasks this node ran: one per SendMessage / SendStreamingMessage,
// found again by GetTask and CancelTask. A task belongs to the principal
// and the agent it was sent to: anyone else naming its id is told it does
// not exist. The conversation itself is the agent's durable session (the
// task's contextId); the task record is held in memory, bounded by count
// and by the bytes of the answers it keeps, the oldest forgotten first
// (then GetTask answers TaskNotFound). Thread-safe: the bridge and the
// stream actors use it.

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

#include "gateway/a2a_protocol.hpp"
#include "runtime/containers/bounded_lru.hpp"

namespace bsm::gateway {

struct a2a_task {
  task_view view;
  /// The principal's key (security::limit_key).
  std::string owner;
  std::string agent;
};

class a2a_tasks {
public:
  /// REQUIRES: max_tasks > 0.
  a2a_tasks(size_t max_tasks, size_t max_bytes)
    : max_bytes_(max_bytes), tasks_(max_tasks, max_bytes) {}

  /// Notes the working task `id` (fresh: the adapter makes it unique).
  void open(const std::string& id, const std::string& owner,
            const std::string& agent, const std::string& context_id);

  /// The task `id` if it is `owner`'s task of `agent`.
  std::optional<task_view> find(const std::string& id, const std::string& owner,
                                const std::string& agent) const;

  /// Ends a working task with the agent's answer, or with why it failed.
  /// A task canceled meanwhile stays canceled. Returns the task as it now
  /// is; nothing if it was forgotten.
  std::optional<task_view> complete(const std::string& id,
                                    const std::string& answer);
  std::optional<task_view> fail(const std::string& id, const std::string& why);

  /// Cancels `owner`'s working task `id` of `agent`: the task ends
  /// canceled (the route then cancels the agent's turn).
  /// Failures: task_not_found, task_not_cancelable (already ended).
  std::variant<task_view, rpc_failure> cancel(const std::string& id,
                                              const std::string& owner,
                                              const std::string& agent);

  size_t size() const;

  /// The bytes the tasks are counted as (bounded_lru's count).
  size_t bytes() const;

private:
  static size_t weight(const a2a_task& x) {
    return x.view.answer.size() + x.view.error.size() + x.view.id.size()
           + x.view.context_id.size() + x.owner.size() + x.agent.size();
  }
  std::optional<task_view> end(const std::string& id, task_state state,
                               const std::string& text);

  size_t max_bytes_;
  mutable std::mutex mtx_;
  /// The tasks by id; an ended one counts as the most recently used.
  bounded_lru<a2a_task> tasks_;
};

} // namespace bsm::gateway
