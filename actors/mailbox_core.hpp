#pragma once

// What a target's durable mailbox (actors/mailbox_actor) and an outbox to
// another node (actors/outbox_actor) share: their environment, the appends
// (a send is appended through the store writer, group commit, and answered
// once durable straight from the writer's completion; appends that come
// while the mailbox's last submission still waits in the writer's queue
// join it, one fill and one completion for all; the mailbox then
// learns the entry through committed_appends, one message for all that
// finished meanwhile; a second send with the key of an append on its way
// waits for it), the paging of pending envelopes through the mailbox reader,
// the writes that acknowledge, count or bury an envelope, the timer before the
// next delivery, and the depth published for readers on other threads.
// Each kind of mailbox decides how it delivers (its pure delivery_queue or
// link_window) and plugs that in as `deliver`.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <caf/typed_response_promise.hpp>
#include <spdlog/logger.h>

#include "actors/handed_reply.hpp"
#include "actors/interfaces.hpp"
#include "actors/timed_request.hpp"
#include "runtime/cluster/directory.hpp"
#include "runtime/mailbox/committed_appends.hpp"
#include "runtime/mailbox/local_mailboxes.hpp"
#include "runtime/mailbox/mailbox_depths.hpp"
#include "runtime/mailbox/mailbox_metrics.hpp"
#include "runtime/mailbox/mailbox_options.hpp"
#include "runtime/mailbox/pending_queue.hpp"
#include "runtime/messages/type_registry.hpp"
#include "runtime/metrics/instrumented.hpp"
#include "runtime/naming/name_registry.hpp"
#include "runtime/store/store.hpp"
#include "runtime/store/store_writer.hpp"

namespace bsm {

/// What the router and its mailboxes share. Every pointer must outlive
/// the actors.
struct mailbox_env {
  store* db = nullptr;
  store_writer* writer = nullptr;
  const type_registry* types = nullptr;
  std::shared_ptr<name_registry> names;
  mailbox_options opts;
  std::shared_ptr<spdlog::logger> log;
  mailbox_metrics* metrics = nullptr;
  /// Each mailbox's depth, for GET /v1/actors; may be null.
  std::shared_ptr<mailbox_depths> depths;
  /// The cluster's view; null on a node without a cluster (all is local).
  std::shared_ptr<const cluster::directory> directory;
  /// Targets whose handler is store-backed: it answers an EffectRequest
  /// with the writes its envelopes cause, which the mailbox commits with
  /// their removal (exactly-once effects, mailbox.proto).
  std::set<std::string> store_backed;
  /// Where the router lists local targets' mailboxes for senders that skip
  /// it (the HTTP bridge); may be null.
  std::shared_ptr<local_mailboxes> locals;
};

namespace detail {
struct staged_append;
struct joint_submission;
} // namespace detail

/// The outbox target for `peer`, and the peer of an outbox target.
std::string outbox_target(const std::string& peer);
std::optional<std::string> outbox_peer(const std::string& target);

/// The actor type both kinds of mailbox derive from.
using mailbox_base = typed_actor_base<
  caf::replies_to<v1::SendRequest>::with<v1::SendResponse>,
  caf::replies_to<v1::MailboxDrainRequest>::with<v1::MailboxDrainResponse>,
  caf::reacts_to<atom::committed>,
  caf::reacts_to<atom::applied, uint64_t, caf::error>,
  caf::reacts_to<atom::deliver>, caf::reacts_to<atom::tick>,
  caf::reacts_to<atom::deadline>>;

/// The shared half of a mailbox's state and its plumbing. Lives in the
/// actor's state; every member runs on the actor's thread.
class mailbox_core {
public:
  /// Called once the disk's state is known: head_seq, next_seq.
  using open_hook = std::function<void(uint64_t, uint64_t)>;

  /// Sets up the mailbox of `target` over `pending` (owned by the caller's
  /// state, next to this core): monitors the router and opens the mailbox
  /// on disk; sends wait in the actor's mailbox until that is done. Then
  /// `opened` recovers the caller's state and `deliver` runs whenever a
  /// delivery may be possible.
  void start(mailbox_base* self, mailbox_env env, std::string target,
             mailbox_reader_actor reader, caf::actor_addr router,
             mailbox::pending_queue& pending, open_hook opened,
             std::function<void()> deliver);

  /// As above, over the decisions `d` of the caller's state (a
  /// delivery_queue or a link_window), which recover through
  /// `d.opened(head_seq, next_seq)`.
  template <class Decisions>
  void start(mailbox_base* self, mailbox_env env, std::string target,
             mailbox_reader_actor reader, caf::actor_addr router, Decisions& d,
             std::function<void()> deliver) {
    start(
      self, std::move(env), std::move(target), std::move(reader),
      std::move(router), d.pending(),
      [&d](uint64_t head, uint64_t next) { d.opened(head, next); },
      std::move(deliver));
  }

  /// The handlers both kinds of mailbox answer.
  mailbox_actor::behavior_type behavior();

  // -- for the delivering half ------------------------------------------------

  const mailbox_env& env() const noexcept {
    return env_;
  }

  const std::string& target() const noexcept {
    return target_;
  }

  mailbox_base* self() const noexcept {
    return self_;
  }

  /// True once the disk's state is known and no timer or write is pending.
  bool may_deliver() const noexcept {
    return ready_ && !waiting_;
  }

  /// Pages envelopes in from disk if the window has room for them.
  void maybe_read();

  /// Holds deliveries until the timer fires after `delay`.
  void wait_then_deliver(std::chrono::milliseconds delay);

  /// Holds deliveries until the rewrite of `e`'s count is durable (or
  /// failed: the count is then lost, and a restart delivers it again).
  void rewrite_then_deliver(const mailbox::entry& e);

  /// Rewrites `e` with its delivery count, so a message that keeps failing
  /// ends in dead letters however often the node restarts.
  void rewrite(const mailbox::entry& e);

  /// Deletes acknowledged envelopes.
  void acknowledge(std::vector<uint64_t> seqs);

  /// Moves `e` to dead letters with `err` (it already left the depth), for
  /// the reason `err` shows (mailbox::reason_of) or `reason`.
  void bury(mailbox::entry e, const caf::error& err);
  void bury(mailbox::entry e, const caf::error& err,
            v1::DeadLetterReason reason);

  /// Commits, in one atomic batch, the writes of `effects` and the removal
  /// of every envelope of `batch` (those it refused into dead letters);
  /// then the hook of on_applied runs with `token` and the outcome.
  void commit_effects(uint64_t token, const std::vector<mailbox::entry>& batch,
                      const v1::EffectResponse& effects);

  /// What runs when a commit_effects is on disk or failed.
  void on_applied(std::function<void(uint64_t, const caf::error&)> hook) {
    applied_ = std::move(hook);
  }

  /// What runs when the timer of arm_tick fires.
  void on_tick(std::function<void()> hook) {
    tick_ = std::move(hook);
  }

  /// A graceful stop (MailboxDrainRequest): `begin` stops the kind's
  /// deliveries, `drained` says (from its pure decisions) that none is in
  /// flight and every acknowledgement has gone to the store writer.
  void on_drain(std::function<void()> begin, std::function<bool()> drained) {
    drain_begin_ = std::move(begin);
    drained_ = std::move(drained);
  }

  /// After anything that may end a delivery: once drained, answers the
  /// drain requests after one more (empty) write, so the removals queued
  /// before it are on disk (the writer keeps the order of submissions).
  void check_drained();

  /// Fires the tick hook after `delay`, unless a tick is pending already:
  /// one timer per mailbox at most, whatever the number of deliveries.
  void arm_tick(std::chrono::nanoseconds delay);

  /// For requests timed by the mailbox's own timer (timed_request.hpp);
  /// the core handles its `atom::deadline`.
  request_deadlines& deadlines() noexcept {
    return deadlines_;
  }

  /// Publishes the depth (to the depth slot and the pending gauge) after
  /// it may have changed.
  void sync_depth();

  /// True if `msg` says the router stopped; the mailbox then quits.
  bool router_down(const caf::down_msg& msg);

private:
  /// An append on its way; its sender is answered by the writer's
  /// completion, not from here.
  struct append {
    v1::Envelope envelope;
    /// Sends with the same idempotency key that came in meanwhile.
    std::vector<caf::typed_response_promise<v1::SendResponse>> duplicates;
  };

  caf::result<v1::SendResponse> send(v1::SendRequest& req);
  caf::result<v1::MailboxDrainResponse> drain();
  /// Submits a new store-writer submission with `x` as its first append.
  /// On an error `x` is as it was and nothing was submitted.
  caf::error open_submission(detail::staged_append& x);
  /// Takes every finished append and keeps or drops each.
  void committed();
  void settle(mailbox::committed_append& x);
  void page_read(const mailbox::page_request& req,
                 v1::MailboxReadResponse& resp);
  void resume();
  void submit(store_writer::batch_fill fill, store_writer::completion done);
  /// `e` as a dead letter with `error`, counted and logged.
  v1::DeadLetter dead_letter(mailbox::entry e, const std::string& error,
                             v1::DeadLetterReason reason) const;
  /// A fill that writes `letters` and drops the oldest beyond the bound.
  store_writer::batch_fill bury_fill(std::vector<v1::DeadLetter> letters) const;

  mailbox_base* self_ = nullptr;
  mailbox_env env_;
  std::string target_;
  mailbox_reader_actor reader_;
  caf::actor_addr router_;
  mailbox::pending_queue* pending_ = nullptr;
  std::function<void()> deliver_;
  std::function<void(uint64_t, const caf::error&)> applied_;
  std::function<void()> tick_;
  std::function<void()> drain_begin_;
  std::function<bool()> drained_;
  /// Drain requests not answered yet (one, unless the node asked twice).
  std::vector<handed_reply> drain_replies_;
  bool tick_armed_ = false;
  request_deadlines deadlines_;
  bool ready_ = false;
  /// A timer or a write is pending before the next delivery.
  bool waiting_ = false;
  std::map<uint64_t, append> appending_;
  /// The submission that later appends join while the writer has not
  /// taken it (runtime/mailbox/joinable_appends.hpp); null before the first.
  std::shared_ptr<detail::joint_submission> joining_;
  /// Filled by the writer's completions, taken on `atom::committed`.
  std::shared_ptr<mailbox::committed_appends> finished_
    = std::make_shared<mailbox::committed_appends>();
  /// Where the depth is published for readers on other threads, and what
  /// was published last.
  mailbox_depths::slot depth_slot_;
  uint64_t published_depth_ = 0;
};

} // namespace bsm
