#pragma once

// What a durable mailbox holds, as pure state (no actors, no store): the
// sequence numbers it hands out, the appends on their way to the disk, its
// depth, and the window of committed envelopes it keeps in memory while the
// rest wait on disk. A mailbox and an outbox each own one, inside their
// delivery_queue or link_window, and drive it from one actor thread.
//
// Paging: a committed envelope joins the in-memory window while it has room
// and nothing older waits on disk; otherwise it stays on disk and is read
// back in pages once the window is half empty, so the queue stays in
// sequence order and its memory bounded.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocols/caf_types.hpp"

namespace bsm::mailbox {

/// A committed envelope and its place in the mailbox.
struct entry {
  uint64_t seq = 0;
  v1::Envelope envelope;
};

/// Pending envelopes to read from disk: [from_seq, to_seq), at most
/// `max_entries`.
struct page_request {
  uint64_t from_seq = 0;
  uint64_t to_seq = 0;
  uint32_t max_entries = 0;
};

class pending_queue {
public:
  /// Envelopes asked from disk at once.
  static constexpr uint32_t read_page = 256;

  /// `window`: envelopes kept in memory. `max_depth`: unacknowledged
  /// envelopes (appends on their way included) before sends are refused.
  explicit pending_queue(size_t window = 1024, uint64_t max_depth = 100'000);

  // -- appends ----------------------------------------------------------------

  /// Recovers the disk's state: envelopes [head_seq, next_seq) may be
  /// pending. Returns true if any may be. The depth is an upper bound
  /// (failed appends leave gaps) that tightens as the mailbox drains.
  bool opened(uint64_t head_seq, uint64_t next_seq);

  /// True if a send must be refused: the depth reached max_depth.
  bool full() const noexcept {
    return depth_ >= max_depth_;
  }

  /// The sequence number of the append on its way that carries `key`.
  std::optional<uint64_t> appending_with(const std::string& key) const;

  /// A number for a new append. Used up even if the append never happens.
  uint64_t take_seq() noexcept {
    return next_seq_++;
  }

  /// The append of `seq` (with idempotency `key`, possibly empty) is on its
  /// way: it counts in the depth from now on.
  void appending(uint64_t seq, const std::string& key);

  /// The append of `seq` finished (stored, found a duplicate, or failed):
  /// later reads may reach it, and its key is free again.
  void append_done(uint64_t seq, const std::string& key);

  /// A committed envelope: kept in memory if the window has room and
  /// nothing older waits on disk; otherwise it waits on disk.
  void keep(entry e);

  /// `n` envelopes left the mailbox (acknowledged, dead, refused or
  /// duplicate appends).
  void settle(uint64_t n) noexcept;

  // -- paging -----------------------------------------------------------------

  /// The page to read now, if envelopes wait on disk, no read is running and
  /// the window is at most half full. Marks a read as running.
  std::optional<page_request> next_read();

  /// The page asked by `req` came back with `entries` (in order) and
  /// `corrupt` damaged envelopes (moved to dead letters by the read).
  void page_read(const page_request& req, std::vector<entry> entries,
                 uint64_t corrupt);

  /// The read failed; the next next_read() asks again.
  void read_failed() noexcept {
    reading_ = false;
  }

  // -- the window -------------------------------------------------------------

  bool empty() const noexcept {
    return queue_.empty();
  }

  size_t size() const noexcept {
    return queue_.size();
  }

  /// REQUIRES: !empty().
  entry& front() {
    return queue_.front();
  }

  /// REQUIRES: !empty().
  entry pop_front();

  /// Puts `e` back at the head (a delivery to repeat).
  void push_front(entry e);

  /// Puts `entries` back at the head in sequence order.
  void push_front(std::vector<entry> entries);

  // -- observers --------------------------------------------------------------

  /// Unacknowledged envelopes, appends on their way included.
  uint64_t depth() const noexcept {
    return depth_;
  }

  uint64_t next_seq() const noexcept {
    return next_seq_;
  }

  /// The lowest sequence number that waits on disk only, if any.
  std::optional<uint64_t> disk_from() const noexcept {
    return disk_from_;
  }

  size_t window() const noexcept {
    return window_;
  }

private:
  size_t window_;
  uint64_t max_depth_;
  uint64_t next_seq_ = 0;
  /// Every append below this sequence number has completed.
  uint64_t committed_end_ = 0;
  uint64_t depth_ = 0;
  /// Idempotency key -> sequence number of the append carrying it.
  std::unordered_map<std::string, uint64_t> appending_keys_;
  /// Committed envelopes in memory, in order, all below `disk_from_`.
  std::deque<entry> queue_;
  /// Committed envelopes from here on wait on disk only.
  std::optional<uint64_t> disk_from_;
  bool reading_ = false;
};

} // namespace bsm::mailbox
