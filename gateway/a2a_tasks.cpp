#include "gateway/a2a_tasks.hpp"

namespace bsm::gateway {

namespace {

rpc_failure not_found() {
  return {a2a_code::task_not_found, "Task not found"};
}

} // namespace

void a2a_tasks::open(const std::string& id, const std::string& owner,
                     const std::string& agent, const std::string& context_id) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (tasks_.count(id) != 0)
    return;
  while (!order_.empty() && tasks_.size() >= max_tasks_)
    forget_oldest();
  a2a_task task;
  task.view.id = id;
  task.view.context_id = context_id;
  task.owner = owner;
  task.agent = agent;
  order_.push_back(id);
  tasks_.emplace(id, entry{std::move(task), std::prev(order_.end())});
}

std::optional<task_view> a2a_tasks::find(const std::string& id,
                                         const std::string& owner,
                                         const std::string& agent) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = tasks_.find(id);
  if (i == tasks_.end() || i->second.task.owner != owner
      || i->second.task.agent != agent)
    return std::nullopt;
  return i->second.task.view;
}

std::optional<task_view> a2a_tasks::complete(const std::string& id,
                                             const std::string& answer) {
  return end(id, task_state::completed, answer);
}

std::optional<task_view> a2a_tasks::fail(const std::string& id,
                                         const std::string& why) {
  return end(id, task_state::failed, why);
}

std::optional<task_view> a2a_tasks::end(const std::string& id, task_state state,
                                        const std::string& text) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = tasks_.find(id);
  if (i == tasks_.end())
    return std::nullopt;
  auto& view = i->second.task.view;
  if (is_terminal(view.state))
    return view;
  // A text beyond the whole budget is not kept: the task says so.
  auto kept = text;
  if (kept.size() > max_bytes_) {
    state = task_state::failed;
    kept = std::to_string(text.size())
           + " bytes of answer are more than a2a.max_task_bytes";
  }
  view.state = state;
  auto& slot = state == task_state::completed ? view.answer : view.error;
  slot = kept.substr(0, max_bytes_);
  bytes_ += slot.size();
  // Older tasks make room; this one stays.
  while (bytes_ > max_bytes_ && order_.size() > 1) {
    if (order_.front() == id)
      order_.splice(order_.end(), order_, order_.begin());
    forget_oldest();
  }
  return view;
}

std::variant<task_view, rpc_failure>
a2a_tasks::cancel(const std::string& id, const std::string& owner,
                  const std::string& agent) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = tasks_.find(id);
  if (i == tasks_.end() || i->second.task.owner != owner
      || i->second.task.agent != agent)
    return not_found();
  auto& view = i->second.task.view;
  if (is_terminal(view.state))
    return rpc_failure{a2a_code::task_not_cancelable,
                       "Task cannot be canceled: it is already "
                         + state_name(view.state, a2a_dialect::v0_3)};
  view.state = task_state::canceled;
  return view;
}

size_t a2a_tasks::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return tasks_.size();
}

size_t a2a_tasks::bytes() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return bytes_;
}

void a2a_tasks::forget_oldest() {
  auto i = tasks_.find(order_.front());
  bytes_ -= weight(i->second.task);
  tasks_.erase(i);
  order_.pop_front();
}

} // namespace bsm::gateway
