#include "runtime/mailbox/delivery_queue.hpp"

#include <algorithm>

#include "runtime/error.hpp"

namespace bsm::mailbox {

delivery_queue::delivery_queue(size_t window, uint64_t max_depth,
                               delivery_options opts)
  : pending_(window, max_depth), opts_(opts), backoff_(opts.backoff_initial) {}

void delivery_queue::opened(uint64_t head_seq, uint64_t next_seq) {
  // The target does not recognise a resent envelope, so the head's
  // interrupted delivery is counted.
  head_suspect_ = pending_.opened(head_seq, next_seq);
  backoff_ = opts_.backoff_initial;
}

std::optional<recount> delivery_queue::recount_head() {
  if (!head_suspect_)
    return std::nullopt;
  head_suspect_ = false;
  auto& head = pending_.front();
  head.envelope.set_attempt(head.envelope.attempt() + 1);
  if (head.envelope.attempt() >= opts_.max_deliveries) {
    pending_.settle(1);
    return recount{true, pending_.pop_front()};
  }
  return recount{false, head};
}

uint64_t delivery_queue::start(entry e) {
  in_flight_ = std::move(e);
  return ++token_;
}

delivery_outcome delivery_queue::answered(uint64_t token,
                                          const caf::error& err) {
  if (!in_flight_ || token != token_)
    return {};
  if (err && err != caf::sec::unexpected_response)
    return failed(err);
  delivery_outcome out;
  out.what = delivery_outcome::kind::acknowledged;
  out.e.seq = in_flight_->seq;
  in_flight_.reset();
  pending_.settle(1);
  backoff_ = opts_.backoff_initial;
  return out;
}

delivery_outcome delivery_queue::failed(const caf::error& err) {
  delivery_outcome out;
  out.e = std::move(*in_flight_);
  in_flight_.reset();
  auto& envelope = out.e.envelope;
  envelope.set_attempt(envelope.attempt() + 1);
  if (is_permanent_error(err) || envelope.attempt() >= opts_.max_deliveries) {
    out.what = delivery_outcome::kind::dead_letter;
    pending_.settle(1);
    return out;
  }
  out.what = delivery_outcome::kind::redeliver;
  out.delay = backoff_;
  backoff_ = std::min(backoff_ * 2, opts_.backoff_max);
  pending_.push_front(out.e);
  return out;
}

} // namespace bsm::mailbox
