#include "runtime/mailbox/committed_appends.hpp"

#include <iterator>

namespace bsm::mailbox {

bool committed_appends::push(committed_append x) {
  std::lock_guard<std::mutex> guard{mtx_};
  appends_.push_back(std::move(x));
  return appends_.size() == 1;
}

bool committed_appends::push_all(std::vector<committed_append> xs) {
  if (xs.empty())
    return false;
  std::lock_guard<std::mutex> guard{mtx_};
  auto was_empty = appends_.empty();
  if (was_empty)
    appends_ = std::move(xs);
  else
    appends_.insert(appends_.end(), std::make_move_iterator(xs.begin()),
                    std::make_move_iterator(xs.end()));
  return was_empty;
}

std::vector<committed_append> committed_appends::take() {
  std::vector<committed_append> result;
  std::lock_guard<std::mutex> guard{mtx_};
  result.swap(appends_);
  return result;
}

} // namespace bsm::mailbox
