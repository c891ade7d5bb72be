#include "actors/handed_reply.hpp"

#include <caf/mailbox_element.hpp>

namespace bsm {

handed_reply::handed_reply(caf::strong_actor_ptr self,
                           caf::response_promise& rp)
  : self_(std::move(self)), source_(rp.source()), stages_(rp.stages()),
    id_(rp.id()) {
  // The actor keeps no way to answer twice.
  rp = caf::response_promise{};
}

void handed_reply::deliver_message(caf::message msg) {
  // As caf::response_promise::deliver_impl, without an execution unit.
  if (!stages_.empty()) {
    auto next = std::move(stages_.back());
    stages_.pop_back();
    next->enqueue(caf::make_mailbox_element(std::move(source_), id_,
                                            std::move(stages_), std::move(msg)),
                  nullptr);
    return;
  }
  if (source_) {
    source_->enqueue(std::move(self_), id_.response_id(), std::move(msg),
                     nullptr);
    source_.reset();
  }
}

} // namespace bsm
