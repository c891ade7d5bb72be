#pragma once

// A detached actor's writes through the node's store writer: each write
// gets a token, the writer's thread tells the actor atom::applied with it,
// and the actor runs the write's continuation in its own context (the
// writer's completions must not do more than send a message).
//
// When no write waits for an fsync and the writer has nothing to group
// (store_writer::idle), the actor writes on its own thread and tells
// itself: no hand-off to the writer and back, which is most of a write's
// latency at low load. Under load the writer groups. Never while a write
// of this actor is still at the writer: its writes stay in order.

#include <cstdint>
#include <functional>
#include <unordered_map>
#include <utility>

#include <caf/send.hpp>

#include "protocols/caf_types.hpp"
#include "runtime/store/store_writer.hpp"

namespace bsm {

class write_completions {
public:
  using then_fn = std::function<void(const caf::error&)>;

  /// Hands `fill` to `writer`; `then` runs once the write is on disk or
  /// failed, when `me` (which handles atom::applied by calling complete)
  /// hears of it, or at once if the writer refuses the write.
  template <class Handle>
  void submit(store_writer& writer, const Handle& me,
              store_writer::batch_fill fill, then_fn then) {
    auto token = next_++;
    if (at_writer_ == 0 && writer.writes_here() && writer.idle()) {
      pending_.emplace(token, entry{std::move(then), false});
      caf::anon_send(me, atom::applied::value, token, writer.write_here(fill));
      return;
    }
    pending_.emplace(token, entry{std::move(then), true});
    ++at_writer_;
    auto refused
      = writer.submit(std::move(fill), [me, token](const caf::error& err) {
          caf::anon_send(me, atom::applied::value, token, err);
        });
    if (refused)
      complete(token, refused);
  }

  /// The write `token` is done: runs its continuation, once.
  void complete(uint64_t token, const caf::error& err) {
    auto i = pending_.find(token);
    if (i == pending_.end())
      return;
    auto done = std::move(i->second);
    pending_.erase(i);
    if (done.at_writer)
      --at_writer_;
    done.then(err);
  }

private:
  struct entry {
    then_fn then;
    bool at_writer = false;
  };

  std::unordered_map<uint64_t, entry> pending_;
  // Writes handed to the writer whose completion has not come yet.
  size_t at_writer_ = 0;
  uint64_t next_ = 1;
};

} // namespace bsm
