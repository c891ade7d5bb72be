#pragma once

// Dead letters as the operator sees them: their ids, why each died, the
// bound on how many a mailbox keeps, and the blocking reads and deletes
// behind GET, DELETE /v1/deadletters (the mailbox reader runs them on its
// own thread). Where they lie: mailbox_store.hpp (column dead_letter,
// target NUL seq).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <rocksdb/status.h>
#include <rocksdb/write_batch.h>

#include "protocols/caf_types.hpp"
#include "runtime/store/store.hpp"

namespace bsm::mailbox {

/// The most dead letters one page lists, whatever the request asks.
inline constexpr uint32_t max_dead_letter_page = 1000;

/// The id of the dead letter at `seq` of `target`'s mailbox: the target
/// with '/' as '~' (a name never holds '~'), then '~' and the seq.
std::string dead_letter_id(std::string_view target, uint64_t seq);

/// The target and seq an id names; nothing for a malformed id.
std::optional<std::pair<std::string, uint64_t>>
parse_dead_letter_id(std::string_view id);

/// Why a delivery that ended with `err` made a dead letter: the target
/// does not take the type, the handler refused it for good, or it failed
/// too often.
v1::DeadLetterReason reason_of(const caf::error& err);

/// The snake_case name of `x` ("type_not_handled", ...), as the API shows.
std::string_view to_string(v1::DeadLetterReason x);

/// Deletes the oldest dead letters of `target` (lowest seq first) so that
/// with `adding` more at most `max_kept` remain; adds their number to
/// `dropped`. Reads the store (on the writer thread, inside a fill).
rocksdb::Status add_drop_oldest(const store& db, rocksdb::WriteBatch& batch,
                                std::string_view target, uint64_t max_kept,
                                uint64_t adding, uint64_t& dropped);

// -- blocking reads and deletes (the mailbox reader's thread) ---------------

/// Dead letters in id order after `req.after` (exclusive), of `req.target`
/// only if set, at most min(req.limit, max_dead_letter_page) (0: the most).
/// Errors: invalid_argument for a malformed `after`.
caf::expected<v1::DeadLetterListResponse>
list_dead_letters(const store& db, const v1::DeadLetterListRequest& req);

/// Errors: invalid_argument (malformed id), not_found.
caf::expected<v1::DeadLetterEntry> get_dead_letter(const store& db,
                                                   std::string_view id);

/// Errors: invalid_argument (malformed id), not_found, unavailable.
caf::error delete_dead_letter(store& db, std::string_view id);

/// Deletes every dead letter of `target`; returns how many there were.
caf::expected<uint64_t> purge_dead_letters(store& db, std::string_view target);

} // namespace bsm::mailbox
