#include "runtime/mailbox/link_window.hpp"

#include <algorithm>

namespace bsm::mailbox {

link_window::link_window(size_t window, uint64_t max_depth, link_options opts)
  : pending_(window, max_depth), opts_(opts), backoff_(opts.backoff_initial) {}

void link_window::opened(uint64_t head_seq, uint64_t next_seq) {
  pending_.opened(head_seq, next_seq);
  backoff_ = opts_.backoff_initial;
}

outgoing_batch link_window::next_batch() {
  outgoing_batch out;
  out.batch.set_oldest_unacked(in_flight_.empty()
                                 ? pending_.front().seq
                                 : in_flight_.begin()->second.front().seq);
  out.token = ++token_;
  auto& sent = in_flight_[out.token];
  size_t bytes = 0;
  while (!pending_.empty() && sent.size() < opts_.batch) {
    auto size = pending_.front().envelope.ByteSizeLong();
    if (!sent.empty() && bytes + size > opts_.batch_bytes)
      break;
    bytes += size;
    auto e = pending_.pop_front();
    auto* x = out.batch.add_entries();
    x->set_link_seq(e.seq);
    *x->mutable_envelope() = e.envelope;
    sent.push_back(std::move(e));
  }
  return out;
}

ack_outcome link_window::acked(uint64_t token, const v1::LinkAck& ack) {
  ack_outcome out;
  auto i = in_flight_.find(token);
  if (i == in_flight_.end())
    return out;
  out.stale = false;
  std::map<uint64_t, std::string> refused;
  for (const auto& r : ack.refused())
    refused.emplace(r.link_seq(), r.error());
  std::vector<entry> rest;
  for (auto& e : i->second) {
    if (e.seq > ack.up_to_seq())
      rest.push_back(std::move(e));
    else if (auto r = refused.find(e.seq); r != refused.end())
      out.refused.emplace_back(std::move(e), r->second);
    else
      out.done.push_back(e.seq);
  }
  in_flight_.erase(i);
  pending_.settle(out.refused.size() + out.done.size());
  if (rest.empty()) {
    backoff_ = opts_.backoff_initial;
    return out;
  }
  // The peer could not take all (a full mailbox there): everything
  // unacknowledged goes again, in order.
  in_flight_.emplace(token, std::move(rest));
  requeue_all();
  out.retry_after = next_backoff();
  return out;
}

failure_outcome link_window::failed(uint64_t token) {
  failure_outcome out;
  auto i = in_flight_.find(token);
  if (i == in_flight_.end())
    return out;
  out.stale = false;
  out.unacked = i->second.size();
  out.first = backoff_ == opts_.backoff_initial;
  requeue_all();
  out.retry_after = next_backoff();
  return out;
}

// Every batch still in flight goes back to the queue's head; their late
// acks find no token and are ignored.
void link_window::requeue_all() {
  std::vector<entry> all;
  for (auto& [token, entries] : in_flight_)
    for (auto& e : entries)
      all.push_back(std::move(e));
  in_flight_.clear();
  pending_.push_front(std::move(all));
}

std::chrono::milliseconds link_window::next_backoff() {
  auto delay = backoff_;
  backoff_ = std::min(backoff_ * 2, opts_.backoff_max);
  return delay;
}

} // namespace bsm::mailbox
