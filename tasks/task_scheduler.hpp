#pragma once

// Which waiting tasks start, and when: a plain class, times passed in (unix
// milliseconds, as the records keep them), tested without an actor system.
//
// - Per target (an agent's or actor's path) at most `limit_of(target)`
//   tasks run at once; targets with free slots are served in turn.
// - Within a target, strict priority 9..0 with aging: a task that has been
//   ready (its not-before time or backoff passed) for k * aging_step counts
//   as priority min(9, p + k); equal counts start oldest-ready first. So a
//   task of priority p ready for (9 - p) * aging_step (at most
//   9 * aging_step) starts before every task of its target that became
//   ready after it: a flood of newer high-priority tasks delays it by at
//   most 9 * aging_step plus the tasks that were ready before it.
// - A task with a future `ready_at` waits aside and joins its target's
//   queue at that time; `next_event` says when to look again.
// - A waiting task whose deadline passed is handed out by `expire`.
//
// Memory: one entry per waiting task (its id once, its target, two tree
// nodes: about 200 bytes); the caller bounds their number
// (tasks.max_queued).

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace bsm::tasks {

/// The priorities, 0 (lowest) to max_priority.
inline constexpr uint32_t max_priority = 9;

struct scheduled_task {
  std::string id;
  /// The path the task runs at ("agents/<name>" or an actor's name).
  std::string target;
  /// 0..9; larger values are clamped to 9.
  uint32_t priority = 0;
  /// Unix ms from which it may start.
  int64_t ready_at = 0;
  /// Unix ms after which it may no longer start; 0: none.
  int64_t deadline = 0;
};

struct scheduler_options {
  /// Waiting this long raises a task's priority by one. REQUIRES: > 0.
  std::chrono::milliseconds aging_step{10'000};
  /// Running tasks per target unless `limits` names it. REQUIRES: > 0.
  uint32_t concurrency = 4;
  /// Per-target limits (by path), overriding `concurrency`.
  std::map<std::string, uint32_t> limits;
};

class task_scheduler {
public:
  explicit task_scheduler(scheduler_options opts = {});

  /// Adds a waiting task, or replaces the one with the same id.
  void add(scheduled_task task);

  /// Forgets a waiting task; false if it was not waiting.
  bool remove(const std::string& id);

  /// Tasks to start at `now`, at most `max`, each taking a slot of its
  /// target until `release`. Waiting tasks past their deadline are not
  /// started (call `expire` first to hand them out).
  std::vector<scheduled_task> take(int64_t now, size_t max = SIZE_MAX);

  /// Takes a slot of `target` for a task that runs without having waited
  /// here.
  void occupy(const std::string& target);

  /// Takes a slot of `target` at `now` for a new task that is ready, if
  /// one is free and no task of `target` is ready and waiting (which would
  /// come first): the task may start without waiting here. False: add it.
  bool try_occupy(const std::string& target, int64_t now);

  /// A task of `target` ended: its slot is free.
  void release(const std::string& target);

  /// The waiting tasks whose deadline is before `now`, no longer waiting.
  std::vector<scheduled_task> expire(int64_t now);

  /// The earliest time after which a call to take() or expire() could
  /// give something new without another add() or release(): a delayed
  /// task becomes ready or a deadline passes. None: nothing waits for a
  /// time.
  std::optional<int64_t> next_event() const;

  /// The priority a task of priority `p` ready since `ready_at` counts as
  /// at `now`.
  uint32_t effective_priority(uint32_t p, int64_t ready_at, int64_t now) const;

  /// Waiting tasks, delayed ones included.
  size_t waiting() const noexcept {
    return tasks_.size();
  }

  bool contains(const std::string& id) const {
    return tasks_.count(id) != 0;
  }

  /// Tasks of `target` running now.
  uint32_t running(const std::string& target) const;

  /// How many tasks of `target` may run at once.
  uint32_t limit_of(const std::string& target) const;

private:
  // A time and the id of the task it belongs to: the key of its entry in
  // tasks_ (whose nodes do not move), so an id is kept once.
  using timed_id = std::pair<int64_t, const std::string*>;
  struct by_time_then_id {
    bool operator()(const timed_id& a, const timed_id& b) const {
      return a.first != b.first ? a.first < b.first : *a.second < *b.second;
    }
  };
  // By time, then id.
  using ordered = std::set<timed_id, by_time_then_id>;

  struct entry {
    // Its id is empty: the entry's key in tasks_ is the id.
    scheduled_task task;
    // In its target's lane (ready), or in delayed_.
    bool in_lane = false;
  };
  using entries = std::unordered_map<std::string, entry>;

  struct lane {
    std::array<ordered, max_priority + 1> levels;
    size_t size = 0;
  };

  // Moves the delayed tasks ready by `now` into their lanes.
  void promote(int64_t now);
  void enter_lane(const std::string& id, entry& e);
  // The level of the task `lane` would start next at `now`, if any.
  std::optional<size_t> best_level(const lane& l, int64_t now) const;
  // Takes `i` out of every index and tasks_; returns its task, id set.
  scheduled_task extract(entries::iterator i);

  scheduler_options opts_;
  entries tasks_;
  // Tasks not ready yet, by ready time.
  ordered delayed_;
  // Waiting tasks with a deadline, by deadline.
  ordered deadlines_;
  std::map<std::string, lane> lanes_;
  std::map<std::string, uint32_t> running_;
  // The target served last: the next take() starts after it.
  std::string cursor_;
};

} // namespace bsm::tasks
