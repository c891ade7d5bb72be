#include "gateway/a2a_tasks.hpp"

namespace bsm::gateway {

namespace {

rpc_failure not_found() {
  return {a2a_code::task_not_found, "Task not found"};
}

} // namespace

void a2a_tasks::open(const std::string& id, const std::string& owner,
                     const std::string& agent, const std::string& context_id) {
  a2a_task task;
  task.view.id = id;
  task.view.context_id = context_id;
  task.owner = owner;
  task.agent = agent;
  std::lock_guard<std::mutex> guard{mtx_};
  if (tasks_.peek(id) != nullptr)
    return;
  auto bytes = weight(task);
  tasks_.put(id, std::move(task), bytes);
}

std::optional<task_view> a2a_tasks::find(const std::string& id,
                                         const std::string& owner,
                                         const std::string& agent) const {
  std::lock_guard<std::mutex> guard{mtx_};
  const auto* x = tasks_.peek(id);
  if (x == nullptr || x->owner != owner || x->agent != agent)
    return std::nullopt;
  return x->view;
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
  const auto* x = tasks_.peek(id);
  if (x == nullptr)
    return std::nullopt;
  if (is_terminal(x->view.state))
    return x->view;
  auto task = *x;
  // A text beyond the whole budget is not kept: the task says so.
  if (text.size() > max_bytes_) {
    task.view.state = task_state::failed;
    task.view.error = std::to_string(text.size())
                      + " bytes of answer are more than a2a.max_task_bytes";
  } else {
    task.view.state = state;
    (state == task_state::completed ? task.view.answer : task.view.error)
      = text;
  }
  auto bytes = weight(task);
  return tasks_.put(id, std::move(task), bytes).view;
}

std::variant<task_view, rpc_failure>
a2a_tasks::cancel(const std::string& id, const std::string& owner,
                  const std::string& agent) {
  std::lock_guard<std::mutex> guard{mtx_};
  const auto* x = tasks_.peek(id);
  if (x == nullptr || x->owner != owner || x->agent != agent)
    return not_found();
  if (is_terminal(x->view.state))
    return rpc_failure{a2a_code::task_not_cancelable,
                       "Task cannot be canceled: it is already "
                         + state_name(x->view.state, a2a_dialect::v0_3)};
  auto task = *x;
  task.view.state = task_state::canceled;
  auto bytes = weight(task);
  return tasks_.put(id, std::move(task), bytes).view;
}

size_t a2a_tasks::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return tasks_.size();
}

size_t a2a_tasks::bytes() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return tasks_.bytes();
}

} // namespace bsm::gateway
