#pragma once

// Replicas of a stateful name's state (cluster.replication_factor). The
// replica set of a key is the first `factor` members of its rendezvous
// ranking over the members that have not left; the first of them that is
// live acts for it (the others wait as copies). An epoch orders the
// nodes that acted for a key: a node starts acting by claiming an epoch
// above every one the other copy has seen, and a copy applies changes only
// from the holder of the epoch it knows. So a node that stopped acting (it
// was paused, or cut off) and comes back has its late writes refused:
// the copy has seen a later claim.
//
// Pure decisions, tested without actors or stores.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bsm::cluster {

/// Who acted for a key last, as a node knows it. Epoch 0: nobody yet.
struct epoch_record {
  uint64_t epoch = 0;
  std::string holder;

  friend bool operator==(const epoch_record& x, const epoch_record& y) {
    return x.epoch == y.epoch && x.holder == y.holder;
  }
};

/// The stored form: 8 bytes of epoch (big endian), then the holder.
std::string encode(const epoch_record& x);
std::optional<epoch_record> decode_epoch_record(std::string_view bytes);

/// The first `factor` of `candidates` by rendezvous weight for `key`,
/// highest first (the order every node computes alike).
std::vector<std::string> ranked_replicas(const std::string& key,
                                         std::vector<std::string> candidates,
                                         size_t factor);

enum class change_verdict {
  /// The change comes from the holder of the epoch this copy knows.
  apply,
  /// This copy knows a later epoch: the sender no longer acts for the key.
  stale,
  /// The sender is at a later epoch than this copy knows: the copy missed
  /// changes (it was down while the sender acted alone, or it is new) and
  /// needs the whole state first.
  behind,
};

/// What a copy holding `mine` does with a change made under `epoch` by
/// `from`.
change_verdict judge_change(const epoch_record& mine, uint64_t epoch,
                            const std::string& from);

struct claim_answer {
  bool granted = false;
  /// What the copy held before (when granted) or holds (when refused).
  epoch_record previous;
};

/// A claim of `epoch` by `from` at a copy holding `mine`: granted, and
/// `mine` becomes {epoch, from}, when `epoch` is above the copy's.
claim_answer judge_claim(epoch_record& mine, uint64_t epoch,
                         const std::string& from);

/// Whether a claim of `epoch` by `from` still stands at a copy holding
/// `mine` (nobody claimed a later one since).
bool claim_stands(const epoch_record& mine, uint64_t epoch,
                  const std::string& from);

/// Whether a node whose own record is `own` must copy the whole state
/// from the copy that held `previous` before granting its claim: that copy
/// acted (or saw acting) under a later epoch than this node knows.
bool must_pull(const epoch_record& own, const epoch_record& previous);

/// Whether a claim last confirmed by the other copy at `confirmed_at`
/// (when that exchange was sent) still lets this node serve without
/// asking again. The other copy takes over only after hearing nothing from
/// this node for the failure detector's down_after; a lease of at most
/// half of it (on this node's steady clock, which also runs while the
/// process is paused) ends well before that.
inline bool lease_holds(std::chrono::steady_clock::time_point confirmed_at,
                        std::chrono::steady_clock::time_point now,
                        std::chrono::milliseconds lease) {
  return now - confirmed_at < lease;
}

} // namespace bsm::cluster
