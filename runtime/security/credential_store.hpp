#pragma once

// Users and API keys in the node's RocksDB (column family `credentials`),
// so that credentials made over the API survive restarts. Keys:
// "user/<name>" and "api_key/<id>", each holding one record's JSON
// (credential_records.hpp).
//
// Blocking: every call reads or writes RocksDB. Call it off the CAF
// scheduler threads (from a detached actor, or at start-up). Not
// thread-safe: one owner at a time, which also keeps the counts behind the
// limits exact. Borrows the store, which must outlive it.
//
// Bounded: at most max_users users and max_api_keys keys (revoked keys
// count until deleted), so neither a client nor a config file can grow
// the store or a listing without limit.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "runtime/security/credential_records.hpp"
#include "runtime/store/store.hpp"

namespace bsm::security {

struct credential_store_options {
  /// Most users kept. At least 1. Default: 10'000.
  size_t max_users = 10'000;
  /// Most API keys kept, revoked ones included. At least 1.
  /// Default: 10'000.
  size_t max_api_keys = 10'000;
};

/// Errors: invalid_argument naming the field out of range.
[[nodiscard]] caf::error validate(const credential_store_options& opts);

class credential_store {
public:
  /// Counts what `db` holds already.
  /// REQUIRES: validate(opts) passed.
  /// Errors: those of reading the store (unavailable, failed_precondition).
  [[nodiscard]] static caf::expected<credential_store>
  open(store& db, credential_store_options opts);

  // -- users ------------------------------------------------------------------

  /// Creates `user` or replaces the user of that name (also a damaged
  /// record).
  /// Errors: invalid_argument (see validate), resource_exhausted when a new
  /// user would pass max_users, unavailable (store).
  [[nodiscard]] caf::error put_user(const user_record& user);

  /// Errors: not_found, invalid_argument (a name no user can have),
  /// failed_precondition (a damaged record), unavailable.
  [[nodiscard]] caf::expected<user_record>
  get_user(std::string_view name) const;

  /// Every user, by name. Errors: as for get_user.
  [[nodiscard]] caf::expected<std::vector<user_record>> list_users() const;

  /// Deletes the user and revokes every API key acting for it, in one
  /// write, so that deleting a user ends all its access.
  /// Errors: not_found, invalid_argument, failed_precondition, unavailable.
  [[nodiscard]] caf::error delete_user(std::string_view name);

  // -- API keys ---------------------------------------------------------------

  /// Creates `key` or replaces the key with that id; a revoked key stays
  /// revoked whatever `key` says.
  /// Errors: invalid_argument, resource_exhausted (max_api_keys),
  /// failed_precondition (the stored key is damaged), unavailable.
  [[nodiscard]] caf::error put_api_key(const api_key_record& key);

  /// Errors: as for get_user.
  [[nodiscard]] caf::expected<api_key_record>
  get_api_key(std::string_view id) const;

  /// Every key, by id. Errors: as for get_user.
  [[nodiscard]] caf::expected<std::vector<api_key_record>>
  list_api_keys() const;

  /// Marks the key revoked for good (again is fine).
  /// Errors: as for delete_user.
  [[nodiscard]] caf::error revoke_api_key(std::string_view id);

  /// Deletes the key's record (also a damaged one), making room under
  /// max_api_keys. Errors: not_found, invalid_argument, unavailable.
  [[nodiscard]] caf::error delete_api_key(std::string_view id);

  // -- seeding from the config file -------------------------------------------

  /// Creates or updates the given users and keys (the config file's
  /// entries) in one write, keeping every record made over the API. An
  /// updated record keeps its stored created_at, and a key revoked over
  /// the API stays revoked: revocation is final. A damaged user record is
  /// replaced; a damaged key is not (its revocation cannot be read), so
  /// it fails the seed until deleted.
  /// Errors: invalid_argument (an invalid record, or a name or id twice),
  /// resource_exhausted (the new records would pass a limit; nothing is
  /// written), failed_precondition, unavailable.
  [[nodiscard]] caf::error seed(const std::vector<user_record>& users,
                                const std::vector<api_key_record>& keys);

  size_t user_count() const noexcept {
    return user_count_;
  }

  size_t api_key_count() const noexcept {
    return api_key_count_;
  }

private:
  credential_store(store& db, credential_store_options opts);

  /// Writes one record, counted in `count` (at most `max`) if it is new.
  caf::error write_record(const std::string& db_key, const std::string& value,
                          bool is_new, size_t& count, size_t max,
                          const char* what);

  store* db_;
  credential_store_options opts_;
  size_t user_count_ = 0;
  size_t api_key_count_ = 0;
};

} // namespace bsm::security
