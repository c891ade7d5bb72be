#include "runtime/mailbox/delivery_queue.hpp"

#include <algorithm>

#include "runtime/error.hpp"

namespace bsm::mailbox {

namespace {

bool finished(const caf::error& err) {
  return !err || err == caf::sec::unexpected_response;
}

} // namespace

delivery_queue::delivery_queue(size_t window, uint64_t max_depth,
                               delivery_options opts)
  : pending_(window, max_depth), opts_(opts), backoff_(opts.backoff_initial) {}

void delivery_queue::opened(uint64_t head_seq, uint64_t next_seq) {
  // The target does not recognise a resent envelope, so the head's
  // interrupted delivery is counted.
  head_suspect_ = pending_.opened(head_seq, next_seq);
  // The interrupted delivery may have been a batch or a window of any size.
  singles_left_ = !head_suspect_  ? 0
                  : opts_.batches ? opts_.max_batch
                                  : opts_.delivery_window;
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

std::optional<delivery_queue::time_point>
delivery_queue::oldest_started() const {
  if (!window_.empty())
    return window_.front().started;
  if (!in_flight_.empty() && !committing_)
    return batch_started_;
  return std::nullopt;
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

uint64_t delivery_queue::start(entry e, time_point now) {
  slot s;
  s.e = std::move(e);
  s.token = ++token_;
  s.started = now;
  window_.push_back(std::move(s));
  return token_;
}

uint64_t delivery_queue::start(std::vector<entry> batch, time_point now) {
  in_flight_ = std::move(batch);
  batch_started_ = now;
  committing_ = false;
  return ++token_;
}

bool delivery_queue::committing(uint64_t token) {
  if (in_flight_.empty() || token != token_)
    return false;
  committing_ = true;
  return true;
}

delivery_queue::slot* delivery_queue::find(uint64_t token) {
  auto i
    = std::lower_bound(window_.begin(), window_.end(), token,
                       [](const slot& s, uint64_t t) { return s.token < t; });
  return i != window_.end() && i->token == token ? &*i : nullptr;
}

delivery_outcome delivery_queue::answered(uint64_t token,
                                          const caf::error& err) {
  if (auto* s = find(token); s != nullptr) {
    if (s->st != slot::state::waiting)
      return {};
    s->err = err;
    if (finished(err))
      s->st = slot::state::done;
    else
      s->st = s == &window_.front() ? slot::state::failed
                                    : slot::state::failed_behind;
    return advance();
  }
  if (in_flight_.empty() || token != token_)
    return {};
  if (!finished(err)) {
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
  single_done();
  backoff_ = opts_.backoff_initial;
  return out;
}

delivery_outcome delivery_queue::advance() {
  delivery_outcome out;
  out.what = delivery_outcome::kind::waiting;
  while (!window_.empty() && window_.front().st == slot::state::done) {
    if (out.count++ == 0)
      out.e.seq = window_.front().e.seq;
    acks_.push_back(window_.front().e.seq);
    window_.pop_front();
    single_done();
  }
  if (out.count > 0) {
    out.what = delivery_outcome::kind::acknowledged;
    pending_.settle(out.count);
    backoff_ = opts_.backoff_initial;
  }
  // The acknowledgements before a failed head are collected already.
  if (!window_.empty() && window_.front().st == slot::state::failed)
    return go_back(window_.front().err);
  if (!window_.empty() && window_.front().st == slot::state::failed_behind)
    return go_back(window_.front().err, false);
  return out;
}

delivery_outcome delivery_queue::go_back(caf::error err, bool judged) {
  std::vector<entry> back;
  back.reserve(window_.size());
  for (auto& s : window_)
    back.push_back(std::move(s.e));
  window_.clear();
  delivery_outcome out;
  if (judged) {
    auto head = std::move(back.front());
    back.erase(back.begin());
    pending_.push_front(std::move(back));
    out = judge(std::move(head), std::move(err));
  } else {
    out.what = delivery_outcome::kind::redeliver;
    out.e = back.front();
    out.count = back.size();
    out.delay = backoff_;
    out.error = std::move(err);
    pending_.push_front(std::move(back));
  }
  if (out.what == delivery_outcome::kind::redeliver)
    // The retry goes alone; the window resumes once it is done with.
    singles_left_ = std::max<size_t>(singles_left_, 1);
  return out;
}

delivery_outcome delivery_queue::failed(const caf::error& err) {
  if (!window_.empty())
    return go_back(err);
  if (in_flight_.empty() || committing_)
    return {};
  if (in_flight_.size() > 1) {
    // Nobody is judged by a batch: its envelopes go back uncounted and
    // come one at a time until one succeeds.
    delivery_outcome out;
    out.count = in_flight_.size();
    singles_left_ = in_flight_.size();
    out.what = delivery_outcome::kind::redeliver;
    out.e = in_flight_.front();
    out.delay = backoff_;
    out.error = err;
    pending_.push_front(std::move(in_flight_));
    in_flight_.clear();
    return out;
  }
  auto e = std::move(in_flight_.front());
  in_flight_.clear();
  return judge(std::move(e), err);
}

delivery_outcome delivery_queue::judge(entry e, caf::error err) {
  delivery_outcome out;
  out.count = 1;
  out.e = std::move(e);
  auto& envelope = out.e.envelope;
  envelope.set_attempt(envelope.attempt() + 1);
  if (envelope.first_error().empty())
    envelope.set_first_error(render(err));
  if (is_permanent_error(err) || envelope.attempt() >= opts_.max_deliveries) {
    out.what = delivery_outcome::kind::dead_letter;
    out.error = std::move(err);
    pending_.settle(1);
    single_done();
    return out;
  }
  out.what = delivery_outcome::kind::redeliver;
  out.error = std::move(err);
  out.delay = backoff_;
  backoff_ = std::min(backoff_ * 2, opts_.backoff_max);
  pending_.push_front(out.e);
  return out;
}

} // namespace bsm::mailbox
