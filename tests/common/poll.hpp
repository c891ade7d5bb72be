#pragma once

// Waiting in tests for something another thread or process does: poll the
// condition until it holds or a generous deadline passes. A busy machine
// makes the wait longer, never the test fail; how long it took is not a
// claim a test makes (timing claims live in bench/).

#include <chrono>
#include <thread>

namespace bsm::test {

/// Far beyond what any condition needs on an idle machine.
inline constexpr std::chrono::milliseconds generous_deadline
  = std::chrono::seconds{60};

/// Calls `condition` every `interval` until it returns true (then true) or
/// `deadline` passed (then false).
template <class Condition>
[[nodiscard]] bool
poll_until(Condition&& condition,
           std::chrono::milliseconds deadline = generous_deadline,
           std::chrono::milliseconds interval = std::chrono::milliseconds{20}) {
  auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (condition())
      return true;
    if (std::chrono::steady_clock::now() >= until)
      return false;
    std::this_thread::sleep_for(interval);
  }
}

} // namespace bsm::test
