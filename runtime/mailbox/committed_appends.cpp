#include "runtime/mailbox/committed_appends.hpp"

namespace bsm::mailbox {

bool committed_appends::push(committed_append x) {
  std::lock_guard<std::mutex> guard{mtx_};
  appends_.push_back(std::move(x));
  return appends_.size() == 1;
}

std::vector<committed_append> committed_appends::take() {
  std::vector<committed_append> result;
  std::lock_guard<std::mutex> guard{mtx_};
  result.swap(appends_);
  return result;
}

} // namespace bsm::mailbox
