#pragma once

// The cluster's membership table in Redis. Membership and liveness are
// kept apart: a node's record stays in the table until the node leaves for
// good (a decommission), so a node that stopped or crashed keeps its place
// (and, through placement, its stateful agents) while it is away; its
// liveness key, written with a TTL every heartbeat as Orleans does its
// table, expires by itself when it stops refreshing, so nobody has to
// declare a dead node down.
//
// Layout (database `redis_url::db`):
//   bsm:member:<name>  the node's MemberRecord as protobuf JSON with the
//                      .proto field names (readable with `redis-cli GET`),
//                      without TTL
//   bsm:alive:<name>   "1" with a TTL of one `announce` call
//   bsm:members        a set of the names that announced; `members()` drops
//                      a name whose record is gone
// A record without a liveness key (a node stopped, crashed, or from before
// the key existed, whose record has a TTL) is listed as down.
//
// Blocking: every call waits up to the timeout given to `connect` for each
// round trip, so use it from a dedicated thread (a detached actor), never
// from a CAF scheduler thread. Not thread-safe: one instance per thread.
//
// Connection loss: a call that loses the connection returns `unavailable`
// and drops it; the next call connects again (once), so a restarted Redis
// needs no node restart. A call that finds its kept connection closed by
// the server (Redis restarted in between) reconnects and retries at once,
// since every call is idempotent.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "bsm/v1/cluster.pb.h"
#include "runtime/cluster/redis_url.hpp"

struct redisContext;

namespace bsm::cluster {

class redis_membership {
public:
  // -- constants --------------------------------------------------------

  static constexpr std::string_view key_prefix = "bsm:member:";
  static constexpr std::string_view alive_prefix = "bsm:alive:";
  static constexpr std::string_view members_key = "bsm:members";

  // -- construction -----------------------------------------------------

  /// Connects, with `timeout` for the connection set-up and for every
  /// command after it, and SELECTs `url.db`. Errors: `invalid_argument` for
  /// a timeout below 1ms or a database Redis refuses; `unavailable` if it
  /// cannot connect (the message names host:port and the reason).
  [[nodiscard]] static caf::expected<std::unique_ptr<redis_membership>>
  connect(const redis_url& url, std::chrono::milliseconds timeout);

  ~redis_membership();

  redis_membership(const redis_membership&) = delete;
  redis_membership& operator=(const redis_membership&) = delete;

  // -- the table --------------------------------------------------------

  /// Writes `self` as "bsm:member:<self.name>" (no TTL), its liveness key
  /// to expire after `ttl` (SET .. PX) and adds its name to "bsm:members",
  /// in one round trip. Call it every heartbeat with a `ttl` of a few
  /// heartbeat intervals.
  /// Errors: `invalid_argument` for an empty name or a ttl below 1ms;
  /// `unavailable` if the connection is lost or Redis answers an error.
  [[nodiscard]] caf::error announce(const v1::MemberRecord& self,
                                    std::chrono::milliseconds ttl);

  /// Returns every member's record, sorted by name, with `state` UP while
  /// its liveness key lives and DOWN after. Names in "bsm:members" whose
  /// record is gone are removed from the set (atomically, so a node that
  /// announces again at that moment stays listed). A record that does not
  /// parse is skipped and counted in `skipped_records()`; unknown JSON
  /// fields (from a newer node) are ignored. Errors: `unavailable`.
  [[nodiscard]] caf::expected<std::vector<v1::MemberRecord>> members();

  /// Deletes the liveness key of `name` (a graceful stop of a node that
  /// will come back), so the others see it down without waiting for the
  /// TTL; its record stays. Stopping twice is fine. Errors: `unavailable`.
  [[nodiscard]] caf::error stop(const std::string& name);

  /// Deletes the record and liveness key of `name` and removes it from
  /// "bsm:members" (a decommission): its agents are placed elsewhere.
  /// Leaving twice is fine. Errors: `unavailable`.
  [[nodiscard]] caf::error leave(const std::string& name);

  // -- observers --------------------------------------------------------

  /// How many records the last `members()` call skipped because they did
  /// not parse.
  size_t skipped_records() const noexcept {
    return skipped_records_;
  }

  const redis_url& url() const noexcept {
    return url_;
  }

  /// True while a connection is open (false after a loss, until the next
  /// call connects again).
  bool connected() const noexcept {
    return ctx_ != nullptr;
  }

private:
  struct context_deleter {
    void operator()(redisContext* ctx) const noexcept;
  };
  using context_ptr = std::unique_ptr<redisContext, context_deleter>;
  using command = std::vector<std::string>;
  struct reply;
  using reply_list = std::vector<reply>;

  redis_membership(redis_url url, std::chrono::milliseconds timeout);

  [[nodiscard]] caf::error reconnect();

  /// Sends `cmds` pipelined and reads one reply per command, reconnecting
  /// first if needed and once more if the server closed a kept connection.
  [[nodiscard]] caf::expected<reply_list> execute(const std::vector<command>&);

  /// One attempt of `execute` on the current connection.
  [[nodiscard]] caf::expected<reply_list> send(const std::vector<command>&);

  [[nodiscard]] caf::error unavailable(std::string_view what) const;

  redis_url url_;
  std::chrono::milliseconds timeout_;
  context_ptr ctx_;
  /// Set by `send` when the server closed the connection (EOF, reset).
  bool closed_by_server_ = false;
  size_t skipped_records_ = 0;
};

} // namespace bsm::cluster
