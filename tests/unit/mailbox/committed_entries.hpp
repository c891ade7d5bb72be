#pragma once

// Envelopes for the pure mailbox classes' tests, as sends would leave them.

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/mailbox/pending_queue.hpp"

namespace bsm::test {

/// An entry at `seq` whose envelope id is "id-<seq>".
inline mailbox::entry make_entry(uint64_t seq) {
  mailbox::entry e;
  e.seq = seq;
  e.envelope.set_id("id-" + std::to_string(seq));
  return e;
}

/// Entries `from`..`to - 1`, as a page read from disk.
inline std::vector<mailbox::entry> make_entries(uint64_t from, uint64_t to) {
  std::vector<mailbox::entry> result;
  for (auto seq = from; seq < to; ++seq)
    result.push_back(make_entry(seq));
  return result;
}

/// Appends and commits `n` envelopes to `q`, as the mailbox does for sends.
inline void commit(mailbox::pending_queue& q, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) {
    auto seq = q.take_seq();
    q.appending(seq, "");
    q.append_done(seq, "");
    q.keep(make_entry(seq));
  }
}

} // namespace bsm::test
