#pragma once

// The failure detector: what one node believes about the others, from the
// heartbeats it receives. Pure state, driven by the membership actor (one
// thread), unit-testable with made-up clocks.
//
// A member is `up` while heartbeats arrive, `suspect` after suspect_after
// without one (or at once when its connection drops), `down` after
// down_after or at once when it says it is stopping, `left` only when it
// says it leaves for good. Incarnations order a node's runs: a heartbeat from
// an older incarnation is ignored, and a node declared down stays down until it
// comes back with a higher incarnation (a restart, or a paused node that
// learned it was declared down), so nothing it did under the old one is
// accepted again.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bsm/v1/cluster.pb.h"

namespace bsm::cluster {

using steady_time = std::chrono::steady_clock::time_point;

/// When silence makes a member suspect and then down (from
/// cluster_options; the defaults live there).
struct detector_options {
  std::chrono::milliseconds suspect_after;
  std::chrono::milliseconds down_after;
};

struct member_entry {
  v1::MemberRecord record;
  v1::MemberState state = v1::MEMBER_STATE_UP;
  steady_time last_seen{};
  /// 0 until the first heartbeat (a member learned from gossip or Redis).
  int64_t last_seen_unix_ms = 0;
  /// Incarnations up to this one were declared down or left; 0 if none.
  uint64_t dead_up_to = 0;
};

/// A member's state changed.
struct transition {
  std::string name;
  v1::MemberState from = v1::MEMBER_STATE_UNSPECIFIED;
  v1::MemberState to = v1::MEMBER_STATE_UNSPECIFIED;
  uint64_t incarnation = 0;
};

class member_table {
public:
  member_table(std::string self, detector_options opts);

  /// A heartbeat from `from` arrived. Returns false (and changes nothing)
  /// for a stale incarnation or for the incarnation that was declared down
  /// or left. A first heartbeat, or one with a higher incarnation, makes
  /// the member up, or leaving if the heartbeat says it hands its state
  /// over (`handing_off`). Heartbeats naming this node itself are ignored.
  bool on_heartbeat(const v1::MemberRecord& from, steady_time now,
                    int64_t now_unix_ms, std::vector<transition>& out,
                    bool handing_off = false);

  /// The member said goodbye for good (a decommission): left at once.
  void on_leave(const std::string& name, uint64_t incarnation,
                std::vector<transition>& out);

  /// The member is stopping and will come back (a graceful stop): down at
  /// once, as its silence would make it after down_after, and only a
  /// higher incarnation (its next run) makes it up again. Ignored for a
  /// stale incarnation or an unknown member.
  void on_stopping(const std::string& name, uint64_t incarnation,
                   std::vector<transition>& out);

  /// Its connection dropped: an up member becomes suspect at once.
  void on_connection_lost(const std::string& name,
                          std::vector<transition>& out);

  /// Ages every member: up -> suspect -> down by time since last heartbeat.
  void tick(steady_time now, std::vector<transition>& out);

  /// This node stalled (a pause, a long GC-like stop): its own silence was
  /// not the others' fault, so their clocks restart from `now`.
  void forgive_silence(steady_time now);

  /// True if a message from `name` at `incarnation` may be acted on: the
  /// member is known and up or suspect, the incarnation is not older than
  /// the one known, and it is not one that was declared down or left.
  /// (Incarnations start at 1.)
  bool accepts(const std::string& name, uint64_t incarnation) const;

  /// Learns a member's address without marking it up (gossip, Redis).
  /// Returns true if the name was new.
  bool learn(const v1::MemberRecord& record);

  /// Forgets a member that is down or left (its Redis record expired).
  void forget(const std::string& name);

  const std::map<std::string, member_entry>& members() const noexcept {
    return members_;
  }

  const member_entry* find(const std::string& name) const;

  const std::string& self() const noexcept {
    return self_;
  }

private:
  void set_state(member_entry& m, v1::MemberState to,
                 std::vector<transition>& out);

  /// The member said it leaves or stops: `to` at once, unless the
  /// incarnation is stale.
  void depart(const std::string& name, uint64_t incarnation, v1::MemberState to,
              std::vector<transition>& out);

  std::string self_;
  detector_options opts_;
  std::map<std::string, member_entry> members_;
};

} // namespace bsm::cluster
