#pragma once

// Protobuf records that expire: what idempotency stores keep (the HTTP
// bridge's answers, the agents' tool results). Blocking store calls: use
// them on detached actors only.

#include <chrono>
#include <string>

#include <caf/expected.hpp>
#include <google/protobuf/message_lite.h>

#include "runtime/store/store.hpp"

namespace bsm {

/// Reads the record under `key` into `out`. False if there is none or it
/// expired. Errors: those of store::get; internal for a record that does
/// not parse.
[[nodiscard]] caf::expected<bool>
get_live_record(const store& db, column cf, const std::string& key,
                google::protobuf::MessageLite& out);

/// Writes `record` under `key`, expiring `ttl` from now (a compaction
/// filter drops it later). Errors: those of store::put.
[[nodiscard]] caf::error
put_expiring_record(store& db, column cf, const std::string& key,
                    const google::protobuf::MessageLite& record,
                    std::chrono::milliseconds ttl);

} // namespace bsm
