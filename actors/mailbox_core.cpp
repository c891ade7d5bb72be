#include "actors/mailbox_core.hpp"

#include <utility>

#include <caf/send.hpp>

#include "actors/handed_reply.hpp"
#include "runtime/clock.hpp"
#include "runtime/error.hpp"
#include "runtime/mailbox/dead_letters.hpp"
#include "runtime/mailbox/joinable_appends.hpp"
#include "runtime/mailbox/mailbox_store.hpp"

namespace bsm {

namespace {

constexpr std::string_view outbox_prefix = "@link/";

rocksdb::Status status_of(const caf::error& err) {
  return rocksdb::Status::IOError(render(err));
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

void mailbox_core::start(mailbox_base* self, mailbox_env env,
                         std::string target, mailbox_reader_actor reader,
                         caf::actor_addr router,
                         mailbox::pending_queue& pending, open_hook opened,
                         std::function<void()> deliver) {
  self_ = self;
  env_ = std::move(env);
  target_ = std::move(target);
  reader_ = std::move(reader);
  router_ = std::move(router);
  pending_ = &pending;
  deliver_ = std::move(deliver);
  if (env_.depths)
    depth_slot_ = env_.depths->slot_of(target_);
  if (auto r = caf::actor_cast<caf::actor>(router_))
    self->monitor(r);
  v1::MailboxOpenRequest open;
  open.set_target(target_);
  // Sends wait in the actor's mailbox until the disk state is known.
  self->request(reader_, caf::infinite, std::move(open))
    .await(
      [this, opened = std::move(opened)](v1::MailboxOpenResponse& resp) {
        opened(resp.head_seq(), resp.next_seq());
        ready_ = true;
        deliver_();
        sync_depth();
      },
      [this](caf::error& err) {
        env_.log->error("mailbox {}: cannot open: {}", target_, render(err));
        self_->quit(err);
      });
}

mailbox_actor::behavior_type mailbox_core::behavior() {
  return {
    [this](v1::SendRequest& req) -> caf::result<v1::SendResponse> {
      auto result = send(req);
      sync_depth();
      return result;
    },
    [this](v1::MailboxDrainRequest&) -> caf::result<v1::MailboxDrainResponse> {
      return drain();
    },
    [this](atom::committed) {
      committed();
      sync_depth();
    },
    [this](atom::applied, uint64_t token, caf::error& err) {
      if (applied_)
        applied_(token, err);
      sync_depth();
    },
    [this](atom::deliver) {
      resume();
      sync_depth();
    },
    [this](atom::tick) {
      tick_armed_ = false;
      if (tick_)
        tick_();
      sync_depth();
    },
    [this](atom::deadline) { deadlines_.on_timer(self_); },
  };
}

namespace detail {

/// One append of a submission's fill and completion: the sender's answer
/// (handed over by the mailbox, which never touches it again), what to
/// write, and the outcome.
struct staged_append {
  uint64_t seq = 0;
  std::string bytes;
  std::string key;
  std::string message_id;
  handed_reply reply;
  /// The dead letter a retry takes the envelope from: removed with the
  /// append, in the same batch.
  std::optional<uint64_t> dead_letter;
  /// The original's answer if the key was on disk already.
  v1::SendResponse duplicate;
  /// This append's own failure (its part of the batch rolled back).
  caf::error err;
};

/// The appends of one store-writer submission: open to joins until the
/// writer's fill takes them; then the fill's and the completion's (both on
/// the writer thread).
struct joint_submission {
  explicit joint_submission(size_t max_appends) : open(max_appends) {}
  mailbox::joinable_appends<staged_append> open;
  std::vector<staged_append> taken;
};

} // namespace detail

namespace {

using detail::joint_submission;
using detail::staged_append;

/// Most appends in one submission: bounds one write's size as the store
/// writer's max_group bounds its submissions.
constexpr size_t max_joined_appends = 256;

/// Adds `x`'s writes to `batch`: the idempotency record if it has a key
/// (none if the key is on disk already: `x` is then a duplicate), then the
/// envelope.
rocksdb::Status add_staged(store& db, rocksdb::WriteBatch& batch,
                           const std::string& target,
                           std::chrono::milliseconds ttl, staged_append& x) {
  if (!x.key.empty()) {
    auto now = unix_now_ms();
    auto found = mailbox::find_idempotency(db, target, x.key, now);
    if (!found)
      return status_of(found.error());
    if (*found) {
      x.duplicate.set_message_id((*found)->message_id());
      x.duplicate.set_seq((*found)->seq());
      x.duplicate.set_duplicate(true);
      return rocksdb::Status::OK();
    }
    v1::IdempotencyRecord record;
    record.set_message_id(x.message_id);
    record.set_seq(x.seq);
    auto st = mailbox::add_idempotency(db, batch, target, x.key, record,
                                       now + ttl.count());
    if (!st.ok())
      return st;
  }
  if (x.dead_letter) {
    auto key = mailbox::envelope_key(target, *x.dead_letter);
    auto found = db.get(column::dead_letter, key);
    if (!found)
      return status_of(found.error());
    if (!*found) {
      x.err
        = make_error(errc::not_found,
                     "no dead letter '"
                       + mailbox::dead_letter_id(target, *x.dead_letter) + "'");
      return rocksdb::Status::NotFound();
    }
    auto st = batch.Delete(db.handle(column::dead_letter), key);
    if (!st.ok())
      return st;
  }
  return mailbox::add_append(db, batch, target, x.seq, x.bytes);
}

/// On the writer thread: each append's writes under a savepoint of its
/// own, so a failing append is rolled back alone, as a submission of its
/// own would be.
void fill_staged(store& db, rocksdb::WriteBatch& batch,
                 const std::string& target, std::chrono::milliseconds ttl,
                 std::vector<staged_append>& xs) {
  for (auto& x : xs) {
    batch.SetSavePoint();
    auto st = add_staged(db, batch, target, ttl, x);
    if (st.ok()) {
      batch.PopSavePoint();
    } else {
      if (!x.err)
        x.err = from_rocksdb(st, "cannot add writes to the batch");
      batch.RollbackToSavePoint();
    }
  }
}

/// On the writer thread, once the group is written (or failed): answers
/// each sender, then tells the mailbox about all of them at once.
void finish_staged(std::vector<staged_append>& xs, const caf::error& group_err,
                   mailbox::committed_appends& finished,
                   const mailbox_actor& box) {
  std::vector<mailbox::committed_append> done;
  done.reserve(xs.size());
  for (auto& x : xs) {
    const auto& err = x.err ? x.err : group_err;
    if (err) {
      x.reply.deliver(err);
    } else if (x.duplicate.duplicate()) {
      x.reply.deliver(x.duplicate);
    } else {
      v1::SendResponse resp;
      resp.set_message_id(std::move(x.message_id));
      resp.set_seq(x.seq);
      x.reply.deliver(std::move(resp));
    }
    done.push_back({x.seq, err, std::move(x.duplicate)});
  }
  if (finished.push_all(std::move(done)))
    caf::anon_send(box, atom::committed::value);
}

} // namespace

caf::result<v1::SendResponse> mailbox_core::send(v1::SendRequest& req) {
  if (pending_->full()) {
    env_.metrics->rejected_full.inc();
    return make_error(errc::unavailable, "mailbox '" + target_ + "' is full ("
                                           + std::to_string(env_.opts.max_depth)
                                           + " unacknowledged envelopes)");
  }
  auto& envelope = *req.mutable_envelope();
  envelope.set_attempt(0);
  envelope.clear_first_error();
  if (req.has_retried_dead_letter())
    // Two retries of the letter at once: the second is a duplicate of the
    // first, the same answer and nothing appended (a client's key never
    // holds a control character).
    envelope.set_idempotency_key("\x1f"
                                 "dead_letter/"
                                 + std::to_string(req.retried_dead_letter()));
  const auto& key = envelope.idempotency_key();
  if (auto seq = pending_->appending_with(key)) {
    auto rp = self_->make_response_promise<v1::SendResponse>();
    appending_[*seq].duplicates.push_back(rp);
    return rp;
  }
  auto seq = pending_->take_seq();
  auto rp = self_->make_response_promise<v1::SendResponse>();
  staged_append x;
  x.seq = seq;
  x.bytes = envelope.SerializeAsString();
  x.key = key;
  x.message_id = envelope.id();
  if (req.has_retried_dead_letter())
    x.dead_letter = req.retried_dead_letter();
  x.reply = handed_reply{self_->ctrl(), rp};
  if (!joining_ || !joining_->open.join(x)) {
    if (auto err = open_submission(x)) {
      env_.metrics->rejected_store.inc();
      x.reply.deliver(err);
      return caf::delegated<v1::SendResponse>{};
    }
  }
  pending_->appending(seq, key);
  appending_.emplace(seq, append{std::move(envelope), {}});
  return caf::delegated<v1::SendResponse>{};
}

caf::result<v1::MailboxDrainResponse> mailbox_core::drain() {
  auto rp = self_->make_response_promise<v1::MailboxDrainResponse>();
  drain_replies_.emplace_back(self_->ctrl(), rp);
  if (drain_begin_)
    drain_begin_();
  check_drained();
  return caf::delegated<v1::MailboxDrainResponse>{};
}

void mailbox_core::check_drained() {
  if (drain_replies_.empty() || (drained_ && !drained_()))
    return;
  auto replies = std::make_shared<std::vector<handed_reply>>(
    std::exchange(drain_replies_, {}));
  auto done = [replies](const caf::error& err) {
    v1::MailboxDrainResponse resp;
    resp.set_mailboxes(1);
    // Removals that did not reach the disk come again after the restart.
    resp.set_cut(err ? 1 : 0);
    for (auto& reply : *replies)
      reply.deliver(resp);
  };
  auto barrier = [](rocksdb::WriteBatch&) {
    return rocksdb::Status::OK();
  };
  if (auto err = env_.writer->submit(barrier, done))
    done(err);
}

// A new submission to the store writer, with `x` as its first append; the
// next appends join it while it waits in the writer's queue.
caf::error mailbox_core::open_submission(staged_append& x) {
  auto joint = std::make_shared<joint_submission>(max_joined_appends);
  joint->open.join(x);
  auto fill = [db = env_.db, target = target_, ttl = env_.opts.idempotency_ttl,
               joint](rocksdb::WriteBatch& batch) {
    joint->taken = joint->open.take();
    fill_staged(*db, batch, target, ttl, joint->taken);
    return rocksdb::Status::OK();
  };
  auto done
    = [joint, finished = finished_,
       box = caf::actor_cast<mailbox_actor>(self_)](const caf::error& err) {
        finish_staged(joint->taken, err, *finished, box);
      };
  if (auto err = env_.writer->submit(std::move(fill), std::move(done))) {
    joining_.reset();
    x = std::move(joint->open.take().front());
    return err;
  }
  joining_ = std::move(joint);
  return caf::none;
}

void mailbox_core::committed() {
  auto finished = finished_->take();
  for (auto& x : finished)
    settle(x);
  if (!finished.empty())
    deliver_();
}

// The sender has its answer already; here the mailbox keeps the entry (or
// forgets a failed or duplicate one) and answers sends that waited for it.
void mailbox_core::settle(mailbox::committed_append& x) {
  auto i = appending_.find(x.seq);
  if (i == appending_.end()) {
    pending_->append_done(x.seq, {});
    return;
  }
  auto pending = std::move(i->second);
  appending_.erase(i);
  pending_->append_done(x.seq, pending.envelope.idempotency_key());
  if (x.err || x.duplicate.duplicate()) {
    pending_->settle(1);
    if (x.err) {
      env_.metrics->rejected_store.inc();
      for (auto& rp : pending.duplicates)
        rp.deliver(x.err);
      return;
    }
    env_.metrics->duplicates.inc(1 + pending.duplicates.size());
    for (auto& rp : pending.duplicates)
      rp.deliver(x.duplicate);
    return;
  }
  env_.metrics->appended.inc();
  if (!pending.duplicates.empty()) {
    env_.metrics->duplicates.inc(pending.duplicates.size());
    v1::SendResponse resp;
    resp.set_message_id(pending.envelope.id());
    resp.set_seq(x.seq);
    resp.set_duplicate(true);
    for (auto& rp : pending.duplicates)
      rp.deliver(resp);
  }
  pending_->keep(mailbox::entry{x.seq, std::move(pending.envelope)});
}

void mailbox_core::maybe_read() {
  auto page = pending_->next_read();
  if (!page)
    return;
  v1::MailboxReadRequest req;
  req.set_target(target_);
  req.set_from_seq(page->from_seq);
  req.set_to_seq(page->to_seq);
  req.set_max_entries(page->max_entries);
  self_->request(reader_, caf::infinite, std::move(req))
    .then(
      [this, page = *page](v1::MailboxReadResponse& resp) {
        page_read(page, resp);
        deliver_();
        sync_depth();
      },
      [this](caf::error& err) {
        pending_->read_failed();
        env_.log->error("mailbox {}: cannot read pending envelopes: {}",
                        target_, render(err));
        wait_then_deliver(env_.opts.redelivery_backoff_max);
      });
}

void mailbox_core::page_read(const mailbox::page_request& req,
                             v1::MailboxReadResponse& resp) {
  std::vector<mailbox::entry> entries;
  entries.reserve(resp.entries_size());
  for (auto& x : *resp.mutable_entries())
    entries.push_back({x.seq(), std::move(*x.mutable_envelope())});
  pending_->page_read(req, std::move(entries), resp.corrupt());
  if (resp.corrupt() > 0) {
    env_.metrics->dead_lettered.inc(resp.corrupt());
    env_.metrics->dead_letters_by
      .with({target_,
             std::string{mailbox::to_string(v1::DEAD_LETTER_REASON_CORRUPT)}})
      .inc(resp.corrupt());
    env_.log->error("mailbox {}: {} damaged envelopes moved to dead letters",
                    target_, resp.corrupt());
  }
}

void mailbox_core::wait_then_deliver(std::chrono::milliseconds delay) {
  if (waiting_)
    return;
  waiting_ = true;
  self_->delayed_send(self_, delay, atom::deliver::value);
}

void mailbox_core::arm_tick(std::chrono::nanoseconds delay) {
  if (tick_armed_)
    return;
  tick_armed_ = true;
  self_->delayed_send(self_, delay, atom::tick::value);
}

void mailbox_core::resume() {
  waiting_ = false;
  deliver_();
}

void mailbox_core::submit(store_writer::batch_fill fill,
                          store_writer::completion done) {
  if (auto err = env_.writer->submit(std::move(fill), std::move(done)))
    // The envelope stays on disk as it was and is delivered again after a
    // restart; at-least-once still holds.
    env_.log->warn("mailbox {}: {}", target_, render(err));
}

void mailbox_core::rewrite(const mailbox::entry& e) {
  submit(
    [db = env_.db, target = target_, seq = e.seq,
     bytes = e.envelope.SerializeAsString()](rocksdb::WriteBatch& batch) {
      return mailbox::add_update(*db, batch, target, seq, bytes);
    },
    nullptr);
}

void mailbox_core::rewrite_then_deliver(const mailbox::entry& e) {
  waiting_ = true;
  auto me = caf::actor_cast<mailbox_actor>(self_);
  submit(
    [db = env_.db, target = target_, seq = e.seq,
     bytes = e.envelope.SerializeAsString()](rocksdb::WriteBatch& batch) {
      return mailbox::add_update(*db, batch, target, seq, bytes);
    },
    [me](const caf::error&) { caf::anon_send(me, atom::deliver::value); });
}

void mailbox_core::acknowledge(std::vector<uint64_t> seqs) {
  if (seqs.empty())
    return;
  env_.metrics->acknowledged.inc(seqs.size());
  submit(
    [db = env_.db, target = target_,
     seqs = std::move(seqs)](rocksdb::WriteBatch& batch) {
      for (auto seq : seqs)
        if (auto st = mailbox::add_ack(*db, batch, target, seq); !st.ok())
          return st;
      return rocksdb::Status::OK();
    },
    nullptr);
}

v1::DeadLetter mailbox_core::dead_letter(mailbox::entry e,
                                         const std::string& error,
                                         v1::DeadLetterReason reason) const {
  env_.metrics->dead_lettered.inc();
  env_.metrics->dead_letters_by
    .with({target_, std::string{mailbox::to_string(reason)}})
    .inc();
  env_.log->warn("mailbox {}: envelope {} (seq {}) moved to dead letters "
                 "after {} deliveries: {}",
                 target_, e.envelope.id(), e.seq, e.envelope.attempt(), error);
  v1::DeadLetter letter;
  letter.set_seq(e.seq);
  letter.set_error(error);
  letter.set_first_error(
    e.envelope.first_error().empty() ? error : e.envelope.first_error());
  letter.set_reason(reason);
  letter.set_dead_unix_ms(unix_now_ms());
  *letter.mutable_envelope() = std::move(e.envelope);
  return letter;
}

store_writer::batch_fill
mailbox_core::bury_fill(std::vector<v1::DeadLetter> letters) const {
  return [db = env_.db, target = target_, max = env_.opts.dead_letter_max,
          dropped = &env_.metrics->dead_letters_dropped,
          letters = std::move(letters)](rocksdb::WriteBatch& batch) {
    if (letters.empty())
      return rocksdb::Status::OK();
    uint64_t n = 0;
    auto st
      = mailbox::add_drop_oldest(*db, batch, target, max, letters.size(), n);
    if (!st.ok())
      return st;
    for (const auto& letter : letters)
      if (st = mailbox::add_dead_letter(*db, batch, target, letter); !st.ok())
        return st;
    dropped->inc(n);
    return rocksdb::Status::OK();
  };
}

void mailbox_core::bury(mailbox::entry e, const caf::error& err) {
  bury(std::move(e), err, mailbox::reason_of(err));
}

void mailbox_core::bury(mailbox::entry e, const caf::error& err,
                        v1::DeadLetterReason reason) {
  std::vector<v1::DeadLetter> letters;
  letters.push_back(dead_letter(std::move(e), render(err), reason));
  submit(bury_fill(std::move(letters)), nullptr);
}

namespace {

rocksdb::Status add_effect(store& db, rocksdb::WriteBatch& batch,
                           const v1::StoreWrite& w) {
  if (w.column() != v1::EFFECT_COLUMN_MEMORY)
    return rocksdb::Status::InvalidArgument("an effect may not write column "
                                            + std::to_string(w.column()));
  auto* cf = db.handle(column::memory);
  return w.erase() ? batch.Delete(cf, w.key())
                   : batch.Put(cf, w.key(), w.value());
}

} // namespace

void mailbox_core::commit_effects(uint64_t token,
                                  const std::vector<mailbox::entry>& batch,
                                  const v1::EffectResponse& effects) {
  std::map<uint64_t, const std::string*> refused;
  for (const auto& r : effects.refused())
    refused.emplace(r.seq(), &r.error());
  std::vector<uint64_t> acks;
  std::vector<v1::DeadLetter> letters;
  for (const auto& e : batch) {
    if (auto i = refused.find(e.seq); i != refused.end())
      letters.push_back(
        dead_letter(e, *i->second, v1::DEAD_LETTER_REASON_REFUSED));
    else
      acks.push_back(e.seq);
  }
  env_.metrics->acknowledged.inc(acks.size());
  auto me = caf::actor_cast<mailbox_actor>(self_);
  auto fill = [db = env_.db, target = target_, writes = effects.writes(),
               acks = std::move(acks),
               bury = bury_fill(std::move(letters))](rocksdb::WriteBatch& wb) {
    for (const auto& w : writes)
      if (auto st = add_effect(*db, wb, w); !st.ok())
        return st;
    for (auto seq : acks)
      if (auto st = mailbox::add_ack(*db, wb, target, seq); !st.ok())
        return st;
    return bury(wb);
  };
  auto done = [me, token](const caf::error& err) {
    caf::anon_send(me, atom::applied::value, token, err);
  };
  if (auto err = env_.writer->submit(std::move(fill), std::move(done))) {
    // Nothing was written: the batch is delivered again.
    env_.log->warn("mailbox {}: {}", target_, render(err));
    caf::anon_send(me, atom::applied::value, token, err);
  }
}

void mailbox_core::sync_depth() {
  auto depth = pending_->depth();
  if (depth == published_depth_)
    return;
  env_.metrics->pending.add(static_cast<double>(depth)
                            - static_cast<double>(published_depth_));
  published_depth_ = depth;
  if (depth_slot_)
    depth_slot_->store(depth, std::memory_order_relaxed);
}

bool mailbox_core::router_down(const caf::down_msg& msg) {
  if (msg.source != router_)
    return false;
  self_->quit(msg.reason);
  return true;
}

} // namespace bsm
