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
  // The interrupted delivery may have been a batch of any size.
  singles_left_ = head_suspect_ ? opts_.max_batch : 0;
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

std::vector<entry> delivery_queue::take_batch() {
  auto n = singles_left_ > 0
             ? size_t{1}
             : std::min(std::max<size_t>(opts_.max_batch, 1), pending_.size());
  std::vector<entry> batch;
  batch.reserve(n);
  while (batch.size() < n)
    batch.push_back(pending_.pop_front());
  return batch;
}

uint64_t delivery_queue::start(entry e) {
  std::vector<entry> batch;
  batch.push_back(std::move(e));
  return start(std::move(batch));
}

uint64_t delivery_queue::start(std::vector<entry> batch) {
  in_flight_ = std::move(batch);
  committing_ = false;
  return ++token_;
}

bool delivery_queue::committing(uint64_t token) {
  if (in_flight_.empty() || token != token_)
    return false;
  committing_ = true;
  return true;
}

delivery_outcome delivery_queue::answered(uint64_t token,
                                          const caf::error& err) {
  if (in_flight_.empty() || token != token_)
    return {};
  if (err && err != caf::sec::unexpected_response) {
    committing_ = false;
    return failed(err);
  }
  delivery_outcome out;
  out.what = delivery_outcome::kind::acknowledged;
  out.e.seq = in_flight_.front().seq;
  out.count = in_flight_.size();
  pending_.settle(in_flight_.size());
  in_flight_.clear();
  committing_ = false;
  if (singles_left_ > 0)
    --singles_left_;
  backoff_ = opts_.backoff_initial;
  return out;
}

delivery_outcome delivery_queue::failed(const caf::error& err) {
  if (committing_)
    return {};
  delivery_outcome out;
  out.count = in_flight_.size();
  if (in_flight_.size() > 1) {
    // Nobody is judged by a batch: its envelopes go back uncounted and
    // come one at a time until one succeeds.
    singles_left_ = in_flight_.size();
    out.what = delivery_outcome::kind::redeliver;
    out.e = in_flight_.front();
    out.delay = backoff_;
    pending_.push_front(std::move(in_flight_));
    in_flight_.clear();
    return out;
  }
  out.e = std::move(in_flight_.front());
  in_flight_.clear();
  auto& envelope = out.e.envelope;
  envelope.set_attempt(envelope.attempt() + 1);
  if (is_permanent_error(err) || envelope.attempt() >= opts_.max_deliveries) {
    out.what = delivery_outcome::kind::dead_letter;
    pending_.settle(1);
    if (singles_left_ > 0)
      --singles_left_;
    return out;
  }
  out.what = delivery_outcome::kind::redeliver;
  out.delay = backoff_;
  backoff_ = std::min(backoff_ * 2, opts_.backoff_max);
  pending_.push_front(out.e);
  return out;
}

} // namespace bsm::mailbox
