#pragma once

// The consuming actor of the crash test, run inside a real node process
// (bsm_ledger_node). For every PingRequest delivered it appends a line to
// `<dir>/deliveries.log`; for the first delivery of each (sender, seq) it
// also appends one to `<dir>/effects.log`, remembering what it applied in
// that file, so a redelivery after a crash has no second effect. Each line
// is one write(2) with O_APPEND, so a kill -9 never tears one.
// Payload "poison" throws: the actor crashes on every delivery. Payload
// "slow" is answered after one second and recorded nowhere. Payload "hold"
// creates `<dir>/holding`, is answered once `<dir>/release` exists, and is
// recorded nowhere: a request kept in flight for as long as a test wants.

#include <filesystem>

#include "runtime/supervision/child_spec.hpp"

namespace bsm::test {

/// A child named "ledger" (so its path, and the send target, is "ledger").
child_spec ledger_consumer_child(std::filesystem::path dir);

} // namespace bsm::test
