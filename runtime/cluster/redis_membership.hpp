#pragma once

// The cluster's membership table in Redis, kept the way Orleans keeps its
// table: each node writes its own record with a TTL and refreshes it every
// heartbeat, so the record of a node that stopped refreshing expires by
// itself; nobody has to declare a dead node gone.
//
// Layout (database `redis_url::db`):
//   bsm:member:<name>  the node's MemberRecord as protobuf JSON with the
//                      .proto field names (readable with `redis-cli GET`),
//                      with a TTL of one `announce` call
//   bsm:members        a set of the names that announced; `members()` drops
//                      a name once its record has expired
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

  /// Writes `self` as "bsm:member:<self.name>" to expire after `ttl`
  /// (SET .. PX) and adds its name to "bsm:members", in one round trip.
  /// Call it every heartbeat with a `ttl` of a few heartbeat intervals.
  /// Errors: `invalid_argument` for an empty name or a ttl below 1ms;
  /// `unavailable` if the connection is lost or Redis answers an error.
  [[nodiscard]] caf::error announce(const v1::MemberRecord& self,
                                    std::chrono::milliseconds ttl);

  /// Returns every live record, sorted by name. Names in "bsm:members"
  /// whose record has expired are removed from the set (atomically, so a
  /// node that announces again at that moment stays listed). A record that
  /// does not parse is skipped and counted in `skipped_records()`; unknown
  /// JSON fields (from a newer node) are ignored. Errors: `unavailable`.
  [[nodiscard]] caf::expected<std::vector<v1::MemberRecord>> members();

  /// Deletes the record of `name` and removes it from "bsm:members" (a
  /// clean shutdown), so the others need not wait for its TTL. Leaving
  /// twice is fine. Errors: `unavailable`.
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
