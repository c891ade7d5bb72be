#pragma once

// How many unacknowledged envelopes each durable mailbox holds, readable
// from any thread without asking the mailboxes (GET /v1/actors). Each
// mailbox owns one slot and stores its depth there as it changes.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace bsm {

class mailbox_depths {
public:
  using slot = std::shared_ptr<std::atomic<uint64_t>>;

  /// The slot of `target`, created at 0 on first use. A restarted mailbox
  /// gets the same slot back. Thread-safe.
  slot slot_of(const std::string& target);

  /// The depth of every mailbox that ever had a slot. Thread-safe.
  std::map<std::string, uint64_t> snapshot() const;

private:
  mutable std::mutex mtx_;
  std::map<std::string, slot> slots_;
};

} // namespace bsm
