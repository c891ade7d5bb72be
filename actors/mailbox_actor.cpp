#include "actors/mailbox_actor.hpp"

#include <algorithm>

#include <caf/send.hpp>

#include "runtime/clock.hpp"
#include "runtime/error.hpp"
#include "runtime/mailbox/mailbox_store.hpp"

namespace bsm {

namespace {

constexpr std::string_view outbox_prefix = "@link/";

using entry = mailbox_state::entry;

// Envelopes asked from disk at once.
constexpr uint32_t read_page = 256;

rocksdb::Status status_of(const caf::error& err) {
  return rocksdb::Status::IOError(render(err));
}

class mailbox_logic {
public:
  explicit mailbox_logic(mailbox_pointer self)
    : self_(self), st_(self->state) {}

  caf::result<v1::SendResponse> send(v1::SendRequest& req);
  void committed(uint64_t seq, const caf::error& err,
                 v1::SendResponse& duplicate);
  void opened(const v1::MailboxOpenResponse& resp);
  void try_deliver();
  void target_down(const caf::down_msg& msg);
  void resume();

private:
  void submit(store_writer::batch_fill fill, store_writer::completion done);
  void keep(entry e);
  void maybe_read();
  void page_read(uint64_t to, v1::MailboxReadResponse& resp);
  bool mark_head_attempt();
  void answered(uint64_t token, const caf::error& err);
  void acknowledge();
  void failed(caf::error err);
  void dead_letter(entry e, const caf::error& err);
  void wait_then_deliver(std::chrono::milliseconds delay);
  void try_send_batch();
  void batch_acked(uint64_t token, const v1::LinkAck& ack);
  void batch_failed(uint64_t token, const caf::error& err);
  void requeue_batches();
  std::chrono::milliseconds next_link_backoff();

  mailbox_pointer self_;
  mailbox_state& st_;
};

caf::result<v1::SendResponse> mailbox_logic::send(v1::SendRequest& req) {
  if (st_.depth >= st_.env.opts.max_depth) {
    st_.env.metrics->rejected_full.inc();
    return make_error(errc::unavailable,
                      "mailbox '" + st_.target + "' is full ("
                        + std::to_string(st_.env.opts.max_depth)
                        + " unacknowledged envelopes)");
  }
  auto& envelope = *req.mutable_envelope();
  envelope.set_attempt(0);
  const auto& key = envelope.idempotency_key();
  if (!key.empty()) {
    auto i = st_.appending_keys.find(key);
    if (i != st_.appending_keys.end()) {
      auto rp = self_->make_response_promise<v1::SendResponse>();
      st_.appending[i->second].duplicates.push_back(rp);
      return rp;
    }
  }
  auto seq = st_.next_seq++;
  auto outcome = std::make_shared<v1::SendResponse>();
  auto fill = [db = st_.env.db, target = st_.target, seq,
               bytes = envelope.SerializeAsString(), key, id = envelope.id(),
               ttl = st_.env.opts.idempotency_ttl,
               outcome](rocksdb::WriteBatch& batch) {
    if (!key.empty()) {
      auto now = unix_now_ms();
      auto found = mailbox::find_idempotency(*db, target, key, now);
      if (!found)
        return status_of(found.error());
      if (*found) {
        outcome->set_message_id((*found)->message_id());
        outcome->set_seq((*found)->seq());
        outcome->set_duplicate(true);
        return rocksdb::Status::OK();
      }
      v1::IdempotencyRecord record;
      record.set_message_id(id);
      record.set_seq(seq);
      auto st = mailbox::add_idempotency(*db, batch, target, key, record,
                                         now + ttl.count());
      if (!st.ok())
        return st;
    }
    return mailbox::add_append(*db, batch, target, seq, bytes);
  };
  auto me = caf::actor_cast<mailbox_actor>(self_);
  auto done = [me, seq, outcome](const caf::error& err) {
    caf::anon_send(me, atom::committed::value, seq, err, std::move(*outcome));
  };
  if (auto err = st_.env.writer->submit(std::move(fill), std::move(done))) {
    st_.env.metrics->rejected_store.inc();
    return err;
  }
  ++st_.depth;
  st_.publish_depth();
  st_.env.metrics->pending.add(1);
  if (!key.empty())
    st_.appending_keys.emplace(key, seq);
  auto rp = self_->make_response_promise<v1::SendResponse>();
  st_.appending.emplace(seq,
                        mailbox_state::append{rp, std::move(envelope), {}});
  return rp;
}

void mailbox_logic::committed(uint64_t seq, const caf::error& err,
                              v1::SendResponse& duplicate) {
  st_.committed_end = std::max(st_.committed_end, seq + 1);
  auto i = st_.appending.find(seq);
  if (i == st_.appending.end())
    return;
  auto pending = std::move(i->second);
  st_.appending.erase(i);
  const auto& key = pending.envelope.idempotency_key();
  if (!key.empty())
    st_.appending_keys.erase(key);
  if (err || duplicate.duplicate()) {
    --st_.depth;
    st_.publish_depth();
    st_.env.metrics->pending.add(-1);
    if (err) {
      st_.env.metrics->rejected_store.inc();
      pending.promise.deliver(err);
      for (auto& rp : pending.duplicates)
        rp.deliver(err);
      return;
    }
    st_.env.metrics->duplicates.inc(1 + pending.duplicates.size());
    pending.promise.deliver(duplicate);
    for (auto& rp : pending.duplicates)
      rp.deliver(duplicate);
    return;
  }
  st_.env.metrics->appended.inc();
  v1::SendResponse resp;
  resp.set_message_id(pending.envelope.id());
  resp.set_seq(seq);
  pending.promise.deliver(resp);
  if (!pending.duplicates.empty()) {
    st_.env.metrics->duplicates.inc(pending.duplicates.size());
    resp.set_duplicate(true);
    for (auto& rp : pending.duplicates)
      rp.deliver(resp);
  }
  keep(entry{seq, std::move(pending.envelope)});
  try_deliver();
}

// A committed envelope stays in memory while the window has room and
// nothing older waits on disk; otherwise the disk has it.
void mailbox_logic::keep(entry e) {
  if (!st_.disk_from && st_.queue.size() < st_.env.window)
    st_.queue.push_back(std::move(e));
  else if (!st_.disk_from)
    st_.disk_from = e.seq;
}

void mailbox_logic::opened(const v1::MailboxOpenResponse& resp) {
  st_.next_seq = resp.next_seq();
  st_.committed_end = resp.next_seq();
  if (resp.head_seq() < resp.next_seq()) {
    st_.disk_from = resp.head_seq();
    // An upper bound (failed appends leave gaps); it only tightens as the
    // mailbox drains, and it bounds the disk like the true count.
    st_.depth = resp.next_seq() - resp.head_seq();
    st_.publish_depth();
    st_.env.metrics->pending.add(static_cast<double>(st_.depth));
    // An outbox's peer recognises a resent entry; a mailbox's target
    // does not, so its head's delivery is counted.
    st_.head_suspect = !st_.peer;
  }
  st_.backoff = st_.env.opts.redelivery_backoff_initial;
  st_.ready = true;
}

void mailbox_logic::submit(store_writer::batch_fill fill,
                           store_writer::completion done) {
  if (auto err = st_.env.writer->submit(std::move(fill), std::move(done)))
    // The envelope stays on disk as it was and is delivered again after a
    // restart; at-least-once still holds.
    st_.env.log->warn("mailbox {}: {}", st_.target, render(err));
}

void mailbox_logic::maybe_read() {
  if (!st_.disk_from || st_.reading || st_.queue.size() >= st_.env.window / 2)
    return;
  st_.reading = true;
  v1::MailboxReadRequest req;
  req.set_target(st_.target);
  req.set_from_seq(*st_.disk_from);
  req.set_to_seq(st_.committed_end);
  req.set_max_entries(read_page);
  auto to = st_.committed_end;
  self_->request(st_.reader, caf::infinite, std::move(req))
    .then(
      [self = self_, to](v1::MailboxReadResponse& resp) {
        mailbox_logic{self}.page_read(to, resp);
      },
      [self = self_](caf::error& err) {
        auto& st = self->state;
        st.reading = false;
        st.env.log->error("mailbox {}: cannot read pending envelopes: {}",
                          st.target, render(err));
        mailbox_logic{self}.wait_then_deliver(
          st.env.opts.redelivery_backoff_max);
      });
}

void mailbox_logic::page_read(uint64_t to, v1::MailboxReadResponse& resp) {
  st_.reading = false;
  auto n = static_cast<uint32_t>(resp.entries_size());
  auto next = to;
  if (n == read_page)
    next = resp.entries(resp.entries_size() - 1).seq() + 1;
  for (auto& x : *resp.mutable_entries())
    st_.queue.push_back(entry{x.seq(), std::move(*x.mutable_envelope())});
  if (resp.corrupt() > 0) {
    st_.depth -= std::min<uint64_t>(st_.depth, resp.corrupt());
    st_.publish_depth();
    st_.env.metrics->pending.add(-static_cast<double>(resp.corrupt()));
    st_.env.metrics->dead_lettered.inc(resp.corrupt());
    st_.env.log->error("mailbox {}: {} damaged envelopes moved to dead letters",
                       st_.target, resp.corrupt());
  }
  if (next >= st_.committed_end)
    st_.disk_from.reset();
  else
    st_.disk_from = next;
  try_deliver();
}

void mailbox_logic::try_deliver() {
  if (st_.peer) {
    try_send_batch();
    return;
  }
  while (st_.ready && !st_.in_flight && !st_.waiting) {
    if (st_.queue.empty()) {
      maybe_read();
      return;
    }
    auto handle = st_.env.names->get(st_.target);
    if (!handle) {
      // Not started yet, or restarting: look again after a while.
      wait_then_deliver(st_.backoff);
      return;
    }
    if (st_.head_suspect && mark_head_attempt())
      continue; // moved to dead letters, or waiting for the write
    auto e = std::move(st_.queue.front());
    st_.queue.pop_front();
    maybe_read();
    auto msg
      = st_.env.types->decode(e.envelope.type_name(), e.envelope.payload());
    if (!msg) {
      dead_letter(std::move(e), msg.error());
      continue;
    }
    if (st_.monitored != handle->address()) {
      if (st_.monitored)
        self_->demonitor(st_.monitored);
      self_->monitor(*handle);
      st_.monitored = handle->address();
    }
    st_.in_flight = std::move(e);
    auto token = ++st_.delivery_token;
    st_.env.metrics->deliveries.inc();
    auto& timeout = st_.env.opts.delivery_timeout;
    self_->request(*handle, timeout, std::move(*msg))
      .then(
        [self = self_, token]() { mailbox_logic{self}.answered(token, {}); },
        [self = self_, token](caf::error& err) {
          mailbox_logic{self}.answered(token, err);
        });
    return;
  }
}

// After a restart the head may have been in delivery when the node
// stopped: count that delivery on disk before trying again. Returns true if
// the caller must not deliver now.
bool mailbox_logic::mark_head_attempt() {
  st_.head_suspect = false;
  auto& head = st_.queue.front();
  head.envelope.set_attempt(head.envelope.attempt() + 1);
  if (head.envelope.attempt() >= st_.env.opts.max_deliveries) {
    auto err
      = make_error(errc::aborted, "the node stopped during each of "
                                    + std::to_string(head.envelope.attempt())
                                    + " deliveries");
    auto e = std::move(head);
    st_.queue.pop_front();
    dead_letter(std::move(e), err);
    return true;
  }
  st_.waiting = true;
  auto me = caf::actor_cast<mailbox_actor>(self_);
  submit(
    [db = st_.env.db, target = st_.target, seq = head.seq,
     bytes = head.envelope.SerializeAsString()](rocksdb::WriteBatch& batch) {
      return mailbox::add_update(*db, batch, target, seq, bytes);
    },
    [me](const caf::error&) { caf::anon_send(me, atom::deliver::value); });
  return true;
}

void mailbox_logic::answered(uint64_t token, const caf::error& err) {
  if (!st_.in_flight || token != st_.delivery_token)
    return; // the answer to a delivery already given up
  // The handler answered with a type this side did not list: it finished.
  if (!err || err == caf::sec::unexpected_response)
    acknowledge();
  else
    failed(err);
}

void mailbox_logic::acknowledge() {
  auto seq = st_.in_flight->seq;
  st_.in_flight.reset();
  --st_.depth;
  st_.publish_depth();
  st_.env.metrics->pending.add(-1);
  st_.env.metrics->acknowledged.inc();
  st_.backoff = st_.env.opts.redelivery_backoff_initial;
  submit(
    [db = st_.env.db, target = st_.target, seq](rocksdb::WriteBatch& batch) {
      return mailbox::add_ack(*db, batch, target, seq);
    },
    nullptr);
  try_deliver();
}

void mailbox_logic::failed(caf::error err) {
  auto e = std::move(*st_.in_flight);
  st_.in_flight.reset();
  e.envelope.set_attempt(e.envelope.attempt() + 1);
  if (is_permanent_error(err)
      || e.envelope.attempt() >= st_.env.opts.max_deliveries) {
    dead_letter(std::move(e), err);
    try_deliver();
    return;
  }
  st_.env.metrics->redeliveries.inc();
  st_.env.log->warn(
    "mailbox {}: delivery {} of {} failed: {}; retrying in {}ms", st_.target,
    e.envelope.attempt(), e.envelope.id(), render(err), st_.backoff.count());
  // The count survives a restart, so a message that keeps failing ends in
  // dead letters however often the node restarts.
  submit(
    [db = st_.env.db, target = st_.target, seq = e.seq,
     bytes = e.envelope.SerializeAsString()](rocksdb::WriteBatch& batch) {
      return mailbox::add_update(*db, batch, target, seq, bytes);
    },
    nullptr);
  st_.queue.push_front(std::move(e));
  auto delay = st_.backoff;
  st_.backoff = std::min(st_.backoff * 2, st_.env.opts.redelivery_backoff_max);
  wait_then_deliver(delay);
}

void mailbox_logic::dead_letter(entry e, const caf::error& err) {
  --st_.depth;
  st_.publish_depth();
  st_.env.metrics->pending.add(-1);
  st_.env.metrics->dead_lettered.inc();
  st_.env.log->warn("mailbox {}: envelope {} (seq {}) moved to dead letters "
                    "after {} deliveries: {}",
                    st_.target, e.envelope.id(), e.seq, e.envelope.attempt(),
                    render(err));
  v1::DeadLetter letter;
  letter.set_seq(e.seq);
  letter.set_error(render(err));
  letter.set_dead_unix_ms(unix_now_ms());
  *letter.mutable_envelope() = std::move(e.envelope);
  submit(
    [db = st_.env.db, target = st_.target,
     letter = std::move(letter)](rocksdb::WriteBatch& batch) {
      return mailbox::add_dead_letter(*db, batch, target, letter);
    },
    nullptr);
}

void mailbox_logic::wait_then_deliver(std::chrono::milliseconds delay) {
  if (st_.waiting)
    return;
  st_.waiting = true;
  self_->delayed_send(self_, delay, atom::deliver::value);
}

void mailbox_logic::resume() {
  st_.waiting = false;
  try_deliver();
}

void mailbox_logic::target_down(const caf::down_msg& msg) {
  if (msg.source == st_.router) {
    self_->quit(msg.reason);
    return;
  }
  if (msg.source != st_.monitored)
    return;
  st_.monitored = caf::actor_addr{};
  if (st_.in_flight)
    failed(msg.reason
             ? msg.reason
             : make_error(errc::unavailable,
                          "'" + st_.target + "' stopped during the delivery"));
}

// -- outboxes ----------------------------------------------------------------

void mailbox_logic::try_send_batch() {
  while (st_.ready && !st_.waiting
         && st_.batches_in_flight.size() < st_.env.link_pipeline) {
    if (st_.queue.empty()) {
      maybe_read();
      return;
    }
    const auto& dir = *st_.env.directory;
    auto member = dir.member(*st_.peer);
    auto conn = dir.connection(*st_.peer);
    if (!conn || !member
        || (member->state != v1::MEMBER_STATE_UP
            && member->state != v1::MEMBER_STATE_SUSPECT)) {
      // The owner is down or not connected yet: the entries wait on disk.
      if (st_.batches_in_flight.empty())
        wait_then_deliver(st_.env.link_poll);
      return;
    }
    v1::LinkBatch batch;
    batch.set_from_node(dir.self());
    batch.set_from_incarnation(dir.incarnation());
    batch.set_oldest_unacked(
      st_.batches_in_flight.empty()
        ? st_.queue.front().seq
        : st_.batches_in_flight.begin()->second.front().seq);
    auto token = ++st_.delivery_token;
    auto& sent = st_.batches_in_flight[token];
    while (!st_.queue.empty() && sent.size() < st_.env.link_batch) {
      auto& e = st_.queue.front();
      auto* x = batch.add_entries();
      x->set_link_seq(e.seq);
      *x->mutable_envelope() = e.envelope;
      sent.push_back(std::move(e));
      st_.queue.pop_front();
    }
    maybe_read();
    st_.env.metrics->deliveries.inc(sent.size());
    self_
      ->request(caf::actor_cast<cluster_ingress_actor>(conn),
                st_.env.link_ack_timeout, std::move(batch))
      .then(
        [self = self_, token](v1::LinkAck& ack) {
          mailbox_logic{self}.batch_acked(token, ack);
        },
        [self = self_, token](caf::error& err) {
          mailbox_logic{self}.batch_failed(token, err);
        });
  }
}

void mailbox_logic::batch_acked(uint64_t token, const v1::LinkAck& ack) {
  auto i = st_.batches_in_flight.find(token);
  if (i == st_.batches_in_flight.end())
    return; // given up on and requeued: the resend is a duplicate there
  std::map<uint64_t, std::string> refused;
  for (const auto& r : ack.refused())
    refused.emplace(r.link_seq(), r.error());
  std::vector<uint64_t> done;
  std::vector<entry> rest;
  for (auto& e : i->second) {
    if (e.seq > ack.up_to_seq()) {
      rest.push_back(std::move(e));
      continue;
    }
    if (auto r = refused.find(e.seq); r != refused.end()) {
      dead_letter(std::move(e), make_error(errc::failed_precondition,
                                           "node " + *st_.peer
                                             + " refused it: " + r->second));
      continue;
    }
    done.push_back(e.seq);
  }
  st_.batches_in_flight.erase(i);
  st_.depth -= std::min<uint64_t>(st_.depth, done.size());
  st_.publish_depth();
  st_.env.metrics->pending.add(-static_cast<double>(done.size()));
  st_.env.metrics->acknowledged.inc(done.size());
  if (!done.empty())
    submit(
      [db = st_.env.db, target = st_.target,
       done = std::move(done)](rocksdb::WriteBatch& batch) {
        for (auto seq : done)
          if (auto st = mailbox::add_ack(*db, batch, target, seq); !st.ok())
            return st;
        return rocksdb::Status::OK();
      },
      nullptr);
  if (!rest.empty()) {
    // The peer could not take all (a full mailbox there): send everything
    // unacknowledged again, in order.
    st_.batches_in_flight.emplace(token, std::move(rest));
    requeue_batches();
    st_.env.metrics->redeliveries.inc();
    wait_then_deliver(next_link_backoff());
    return;
  }
  st_.backoff = st_.env.opts.redelivery_backoff_initial;
  try_send_batch();
}

void mailbox_logic::batch_failed(uint64_t token, const caf::error& err) {
  auto i = st_.batches_in_flight.find(token);
  if (i == st_.batches_in_flight.end())
    return;
  if (st_.backoff == st_.env.opts.redelivery_backoff_initial)
    st_.env.log->warn("outbox to {}: {} envelopes not acknowledged: {}; "
                      "sending again",
                      *st_.peer, i->second.size(), render(err));
  requeue_batches();
  st_.env.metrics->redeliveries.inc();
  wait_then_deliver(next_link_backoff());
}

// Every batch still in flight goes back to the queue's front, in sequence
// order; their late acks find no token and are ignored.
void mailbox_logic::requeue_batches() {
  std::vector<entry> all;
  for (auto& [token, entries] : st_.batches_in_flight)
    for (auto& e : entries)
      all.push_back(std::move(e));
  st_.batches_in_flight.clear();
  std::sort(all.begin(), all.end(),
            [](const entry& x, const entry& y) { return x.seq < y.seq; });
  for (auto i = all.rbegin(); i != all.rend(); ++i)
    st_.queue.push_front(std::move(*i));
}

// A peer that refused a batch (it restarted and has not heard our
// heartbeat yet, or it is overloaded) is tried again within a second.
std::chrono::milliseconds mailbox_logic::next_link_backoff() {
  auto delay = st_.backoff;
  st_.backoff = std::min({st_.backoff * 2, st_.env.opts.redelivery_backoff_max,
                          std::chrono::milliseconds{1000}});
  return delay;
}

} // namespace

std::string outbox_target(const std::string& peer) {
  return std::string{outbox_prefix} + peer;
}

std::optional<std::string> outbox_peer(const std::string& target) {
  if (target.size() <= outbox_prefix.size()
      || target.compare(0, outbox_prefix.size(), outbox_prefix) != 0)
    return std::nullopt;
  return target.substr(outbox_prefix.size());
}

mailbox_actor::behavior_type
durable_mailbox(mailbox_pointer self, mailbox_env env, std::string target,
                mailbox_reader_actor reader, caf::actor_addr router) {
  auto& st = self->state;
  st.env = std::move(env);
  st.target = std::move(target);
  st.reader = reader;
  st.router = router;
  if (st.env.directory)
    st.peer = outbox_peer(st.target);
  if (st.env.depths)
    st.depth_slot = st.env.depths->slot_of(st.target);
  if (auto r = caf::actor_cast<caf::actor>(router))
    self->monitor(r);
  self->set_down_handler(
    [self](caf::down_msg& msg) { mailbox_logic{self}.target_down(msg); });
  v1::MailboxOpenRequest open;
  open.set_target(st.target);
  // Sends wait in the actor's mailbox until the disk state is known.
  self->request(reader, caf::infinite, std::move(open))
    .await(
      [self](v1::MailboxOpenResponse& resp) {
        mailbox_logic logic{self};
        logic.opened(resp);
        logic.try_deliver();
      },
      [self](caf::error& err) {
        self->state.env.log->error("mailbox {}: cannot open: {}",
                                   self->state.target, render(err));
        self->quit(err);
      });
  return {
    [self](v1::SendRequest& req) -> caf::result<v1::SendResponse> {
      return mailbox_logic{self}.send(req);
    },
    [self](atom::committed, uint64_t seq, caf::error& err,
           v1::SendResponse& duplicate) {
      mailbox_logic{self}.committed(seq, err, duplicate);
    },
    [self](atom::deliver) { mailbox_logic{self}.resume(); },
  };
}

} // namespace bsm
