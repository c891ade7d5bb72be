#include "tasks/task_scheduler.hpp"

#include <algorithm>

namespace bsm::tasks {

task_scheduler::task_scheduler(scheduler_options opts)
  : opts_(std::move(opts)) {
  if (opts_.aging_step.count() <= 0)
    opts_.aging_step = std::chrono::milliseconds{1};
  if (opts_.concurrency == 0)
    opts_.concurrency = 1;
}

void task_scheduler::add(scheduled_task task) {
  remove(task.id);
  auto id = std::move(task.id);
  task.id.clear();
  task.priority = std::min(task.priority, max_priority);
  auto [i, added] = tasks_.emplace(std::move(id), entry{std::move(task)});
  const auto* key = &i->first;
  const auto& t = i->second.task;
  if (t.deadline > 0)
    deadlines_.emplace(t.deadline, key);
  delayed_.emplace(t.ready_at, key);
}

bool task_scheduler::remove(const std::string& id) {
  auto i = tasks_.find(id);
  if (i == tasks_.end())
    return false;
  extract(i);
  return true;
}

scheduled_task task_scheduler::extract(entries::iterator i) {
  const auto* key = &i->first;
  auto& e = i->second;
  const auto& t = e.task;
  if (t.deadline > 0)
    deadlines_.erase({t.deadline, key});
  if (!e.in_lane) {
    delayed_.erase({t.ready_at, key});
  } else if (auto l = lanes_.find(t.target); l != lanes_.end()) {
    l->second.levels[t.priority].erase({t.ready_at, key});
    if (--l->second.size == 0)
      lanes_.erase(l);
  }
  auto task = std::move(e.task);
  task.id = i->first;
  tasks_.erase(i);
  return task;
}

void task_scheduler::enter_lane(const std::string& id, entry& e) {
  auto& l = lanes_[e.task.target];
  l.levels[e.task.priority].emplace(e.task.ready_at, &id);
  ++l.size;
  e.in_lane = true;
}

void task_scheduler::promote(int64_t now) {
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    auto i = tasks_.find(*delayed_.begin()->second);
    delayed_.erase(delayed_.begin());
    enter_lane(i->first, i->second);
  }
}

uint32_t task_scheduler::effective_priority(uint32_t p, int64_t ready_at,
                                            int64_t now) const {
  auto waited = std::max<int64_t>(now - ready_at, 0);
  auto steps = waited / opts_.aging_step.count();
  return static_cast<uint32_t>(
    std::min<int64_t>(int64_t{p} + steps, int64_t{max_priority}));
}

std::optional<size_t> task_scheduler::best_level(const lane& l,
                                                 int64_t now) const {
  std::optional<size_t> best;
  uint32_t best_eff = 0;
  int64_t best_ready = 0;
  for (size_t p = 0; p <= max_priority; ++p) {
    if (l.levels[p].empty())
      continue;
    const auto& head = *l.levels[p].begin();
    auto eff = effective_priority(static_cast<uint32_t>(p), head.first, now);
    // Higher counts first; equal counts: the older, then the higher base.
    if (!best || eff > best_eff
        || (eff == best_eff && head.first <= best_ready)) {
      best = p;
      best_eff = eff;
      best_ready = head.first;
    }
  }
  return best;
}

std::vector<scheduled_task> task_scheduler::take(int64_t now, size_t max) {
  promote(now);
  std::vector<scheduled_task> result;
  bool progressed = true;
  while (progressed && result.size() < max && !lanes_.empty()) {
    progressed = false;
    // One pass over the targets in turn, starting after the last served.
    std::vector<std::string> order;
    for (auto i = lanes_.upper_bound(cursor_); i != lanes_.end(); ++i)
      order.push_back(i->first);
    for (auto i = lanes_.begin(); i != lanes_.end() && i->first <= cursor_; ++i)
      order.push_back(i->first);
    for (const auto& target : order) {
      if (result.size() >= max)
        break;
      auto l = lanes_.find(target);
      if (l == lanes_.end() || running(target) >= limit_of(target))
        continue;
      auto level = best_level(l->second, now);
      if (!level)
        continue;
      auto e = tasks_.find(*l->second.levels[*level].begin()->second);
      if (e->second.task.deadline > 0 && e->second.task.deadline < now)
        continue; // expire() hands it out.
      result.push_back(extract(e));
      ++running_[target];
      cursor_ = target;
      progressed = true;
    }
  }
  return result;
}

void task_scheduler::occupy(const std::string& target) {
  ++running_[target];
}

bool task_scheduler::try_occupy(const std::string& target, int64_t now) {
  promote(now);
  if (lanes_.count(target) != 0 || running(target) >= limit_of(target))
    return false;
  occupy(target);
  return true;
}

void task_scheduler::release(const std::string& target) {
  auto i = running_.find(target);
  if (i == running_.end())
    return;
  if (--i->second == 0)
    running_.erase(i);
}

std::vector<scheduled_task> task_scheduler::expire(int64_t now) {
  std::vector<scheduled_task> result;
  while (!deadlines_.empty() && deadlines_.begin()->first < now)
    result.push_back(extract(tasks_.find(*deadlines_.begin()->second)));
  return result;
}

std::optional<int64_t> task_scheduler::next_event() const {
  std::optional<int64_t> result;
  if (!delayed_.empty())
    result = delayed_.begin()->first;
  if (!deadlines_.empty()) {
    // expire() hands a task out once `now` is past its deadline.
    auto at = deadlines_.begin()->first + 1;
    result = result ? std::min(*result, at) : at;
  }
  return result;
}

uint32_t task_scheduler::running(const std::string& target) const {
  auto i = running_.find(target);
  return i == running_.end() ? 0 : i->second;
}

uint32_t task_scheduler::limit_of(const std::string& target) const {
  auto i = opts_.limits.find(target);
  return i == opts_.limits.end() ? opts_.concurrency
                                 : std::max<uint32_t>(i->second, 1);
}

} // namespace bsm::tasks
