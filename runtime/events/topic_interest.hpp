#pragma once

// Which topics the subscribers of the node's event bus want, readable from
// any thread: a publisher asks before it builds an event, so an event
// nobody subscribed to costs no JSON and no message. The bus alone changes
// it, as its subscriptions come and go (an ending incarnation removes its
// own, so a restarted bus starts from none of them). A
// hint: a subscription made while an event is being published may miss
// that event, as it would miss one the bus handled just before it.

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "runtime/events/topic_pattern.hpp"

namespace bsm::events {

class topic_interest {
public:
  /// One more subscription with `pattern`.
  void add(const topic_pattern& pattern);

  /// One subscription with `pattern` fewer.
  void remove(const topic_pattern& pattern);

  /// Whether some subscription's pattern matches `topic`.
  [[nodiscard]] bool wants(std::string_view topic) const;

private:
  struct held {
    topic_pattern pattern;
    size_t subscriptions = 0;
  };

  // Lock-free "nobody listens", the common case for most topics.
  std::atomic<size_t> patterns_held_{0};
  mutable std::mutex mtx_;
  // By the pattern's text: many subscribers share few patterns.
  std::unordered_map<std::string, held> patterns_;
};

} // namespace bsm::events
