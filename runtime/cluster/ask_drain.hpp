#pragma once

// The asks a node's cluster port serves on behalf of other nodes, and
// their drain when the node stops gracefully. Other members hear of the
// stop only when the tree stops; an ask it cut then would leave its asker
// waiting until its deadline. So once closed, no new ask is admitted (the
// asker hears at once that this node is stopping), and the node waits for
// those admitted before to be answered before it stops the tree.
//
// Thread-safe: the cluster ingress actor admits and finishes asks, the
// node's stopping thread closes and waits (never a scheduler thread).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace bsm::cluster {

class ask_drain {
public:
  /// An ask arrived. False once closed: refuse it. Every admitted ask
  /// must be finished once.
  [[nodiscard]] bool admit();

  /// An admitted ask was answered or failed.
  void finish();

  /// Admits no more asks from now on.
  void close();

  /// Blocks until no admitted ask is in flight or `timeout` passed;
  /// returns how many still are. REQUIRES: not a CAF scheduler thread.
  size_t wait(std::chrono::milliseconds timeout);

  /// Admitted asks not finished yet.
  size_t in_flight() const;

private:
  mutable std::mutex mtx_;
  std::condition_variable finished_;
  size_t in_flight_ = 0;
  bool closed_ = false;
};

} // namespace bsm::cluster
