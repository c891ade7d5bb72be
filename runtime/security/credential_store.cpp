#include "runtime/security/credential_store.hpp"

#include <memory>
#include <set>

#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "runtime/error.hpp"

namespace bsm::security {

namespace {

constexpr std::string_view user_prefix = "user/";
constexpr std::string_view api_key_prefix = "api_key/";
constexpr size_t max_records = 1'000'000;

rocksdb::Slice slice(std::string_view text) {
  return rocksdb::Slice{text.data(), text.size()};
}

std::string user_key(std::string_view name) {
  return std::string{user_prefix}.append(name);
}

std::string api_key_key(std::string_view id) {
  return std::string{api_key_prefix}.append(id);
}

// Calls `f(key, value)` for every record under `prefix`, in key order,
// and stops at the first error `f` returns.
template <class F>
caf::error for_each_record(const store& db, std::string_view prefix, F&& f) {
  std::unique_ptr<rocksdb::Iterator> it{db.db().NewIterator(
    rocksdb::ReadOptions{}, db.handle(column::credentials))};
  for (it->Seek(slice(prefix));
       it->Valid() && it->key().starts_with(slice(prefix)); it->Next()) {
    auto key = it->key();
    auto value = it->value();
    if (auto err = f(std::string_view{key.data(), key.size()},
                     std::string_view{value.data(), value.size()}))
      return err;
  }
  return from_rocksdb(it->status(), "reading credentials failed");
}

caf::expected<size_t> count_records(const store& db, std::string_view prefix) {
  size_t result = 0;
  auto err = for_each_record(db, prefix, [&](auto, auto) {
    ++result;
    return caf::error{};
  });
  if (err)
    return err;
  return result;
}

// Reads the record under `key`; `what` names it in a not_found error.
template <class Decode>
auto load(const store& db, const std::string& key, const std::string& what,
          Decode decode) -> decltype(decode(std::string_view{}, key)) {
  auto raw = db.get(column::credentials, key);
  if (!raw)
    return raw.error();
  if (!raw->has_value())
    return make_error(errc::not_found, what);
  return decode(**raw, key);
}

template <class Record, class Decode>
caf::expected<std::vector<Record>>
load_all(const store& db, std::string_view prefix, Decode decode) {
  std::vector<Record> result;
  auto err = for_each_record(db, prefix, [&](auto key, auto value) {
    auto record = decode(value, key);
    if (!record)
      return record.error();
    result.push_back(std::move(*record));
    return caf::error{};
  });
  if (err)
    return err;
  return result;
}

caf::error put_into(rocksdb::WriteBatch& batch, const store& db,
                    const std::string& key, const std::string& value) {
  return from_rocksdb(batch.Put(db.handle(column::credentials), key, value),
                      "store write failed");
}

// Validates every record and refuses a `name` that appears twice.
template <class Record>
caf::error check_each(const std::vector<Record>& records,
                      std::string Record::*name, const char* what) {
  std::set<std::string_view> seen;
  for (const auto& record : records) {
    if (auto err = validate(record))
      return err;
    if (!seen.insert(record.*name).second)
      return make_error(errc::invalid_argument, std::string{"seed: "} + what
                                                  + " '" + record.*name
                                                  + "' appears twice");
  }
  return caf::none;
}

caf::error room_for(size_t count, size_t adding, size_t max, const char* what) {
  if (count + adding <= max)
    return caf::none;
  return make_error(errc::resource_exhausted,
                    "at most " + std::to_string(max) + " " + what
                      + " can be stored; delete one first");
}

// Whether a record is under `key`, without reading it as one (so that a
// damaged record can still be replaced or deleted).
caf::expected<bool> has_record(const store& db, const std::string& key) {
  auto raw = db.get(column::credentials, key);
  if (!raw)
    return raw.error();
  return raw->has_value();
}

// not_found, naming `what`, unless a record is under `key`.
caf::error require_record(const store& db, const std::string& key,
                          std::string what) {
  auto exists = has_record(db, key);
  if (!exists)
    return exists.error();
  if (!*exists)
    return make_error(errc::not_found, std::move(what));
  return caf::none;
}

std::string user_name_for(std::string_view name) {
  return "user '" + std::string{name} + "'";
}

std::string api_key_name_for(std::string_view id) {
  return "API key '" + std::string{id} + "'";
}

caf::error bad_api_key_id() {
  return make_error(errc::invalid_argument,
                    "API key ids must match [A-Za-z0-9_-]{1,64}");
}

caf::error bad_user_name() {
  return make_error(errc::invalid_argument,
                    "user names must match [A-Za-z0-9._@-]{1,64}");
}

} // namespace

caf::error validate(const credential_store_options& opts) {
  if (opts.max_users < 1 || opts.max_users > max_records
      || opts.max_api_keys < 1 || opts.max_api_keys > max_records)
    return make_error(errc::invalid_argument,
                      "credentials: max_users and max_api_keys must be "
                      "between 1 and 1000000");
  return caf::none;
}

credential_store::credential_store(store& db, credential_store_options opts)
  : db_(&db), opts_(opts) {}

caf::expected<credential_store>
credential_store::open(store& db, credential_store_options opts) {
  credential_store result{db, opts};
  auto users = count_records(db, user_prefix);
  if (!users)
    return users.error();
  auto keys = count_records(db, api_key_prefix);
  if (!keys)
    return keys.error();
  result.user_count_ = *users;
  result.api_key_count_ = *keys;
  return result;
}

caf::error credential_store::write_record(const std::string& db_key,
                                          const std::string& value, bool is_new,
                                          size_t& count, size_t max,
                                          const char* what) {
  if (is_new)
    if (auto err = room_for(count, 1, max, what))
      return err;
  if (auto err = db_->put(column::credentials, db_key, value))
    return err;
  if (is_new)
    ++count;
  return caf::none;
}

// -- users --------------------------------------------------------------------

caf::error credential_store::put_user(const user_record& user) {
  if (auto err = validate(user))
    return err;
  auto key = user_key(user.name);
  auto exists = has_record(*db_, key);
  if (!exists)
    return exists.error();
  return write_record(key, encode(user), !*exists, user_count_, opts_.max_users,
                      "users");
}

caf::expected<user_record>
credential_store::get_user(std::string_view name) const {
  if (!is_valid_principal_name(name))
    return bad_user_name();
  return load(*db_, user_key(name), user_name_for(name), decode_user);
}

caf::expected<std::vector<user_record>> credential_store::list_users() const {
  return load_all<user_record>(*db_, user_prefix, decode_user);
}

caf::error credential_store::delete_user(std::string_view name) {
  if (!is_valid_principal_name(name))
    return bad_user_name();
  if (auto err = require_record(*db_, user_key(name), user_name_for(name)))
    return err;
  auto keys = list_api_keys();
  if (!keys)
    return keys.error();
  rocksdb::WriteBatch batch;
  for (auto& key : *keys) {
    if (key.principal != name || key.revoked)
      continue;
    key.revoked = true;
    if (auto err = put_into(batch, *db_, api_key_key(key.id), encode(key)))
      return err;
  }
  auto st = batch.Delete(db_->handle(column::credentials), user_key(name));
  if (auto err = from_rocksdb(st, "store write failed"))
    return err;
  if (auto err = db_->write(batch))
    return err;
  --user_count_;
  return caf::none;
}

// -- API keys -----------------------------------------------------------------

caf::error credential_store::put_api_key(const api_key_record& key) {
  if (auto err = validate(key))
    return err;
  auto stored = get_api_key(key.id);
  auto is_new = !stored && is(stored.error(), errc::not_found);
  if (!stored && !is_new)
    return stored.error();
  auto record = key;
  record.revoked = key.revoked || (stored && stored->revoked);
  return write_record(api_key_key(key.id), encode(record), is_new,
                      api_key_count_, opts_.max_api_keys, "API keys");
}

caf::expected<api_key_record>
credential_store::get_api_key(std::string_view id) const {
  if (!is_valid_api_key_id(id))
    return bad_api_key_id();
  return load(*db_, api_key_key(id), api_key_name_for(id), decode_api_key);
}

caf::expected<std::vector<api_key_record>>
credential_store::list_api_keys() const {
  return load_all<api_key_record>(*db_, api_key_prefix, decode_api_key);
}

caf::error credential_store::revoke_api_key(std::string_view id) {
  auto key = get_api_key(id);
  if (!key)
    return key.error();
  if (key->revoked)
    return caf::none;
  key->revoked = true;
  return db_->put(column::credentials, api_key_key(id), encode(*key));
}

caf::error credential_store::delete_api_key(std::string_view id) {
  if (!is_valid_api_key_id(id))
    return bad_api_key_id();
  if (auto err = require_record(*db_, api_key_key(id), api_key_name_for(id)))
    return err;
  if (auto err = db_->erase(column::credentials, api_key_key(id)))
    return err;
  --api_key_count_;
  return caf::none;
}

// -- seeding from the config file ---------------------------------------------

caf::error credential_store::seed(const std::vector<user_record>& users,
                                  const std::vector<api_key_record>& keys) {
  if (auto err = check_each(users, &user_record::name, "user"))
    return err;
  if (auto err = check_each(keys, &api_key_record::id, "API key"))
    return err;
  rocksdb::WriteBatch batch;
  size_t new_users = 0;
  for (auto user : users) {
    auto stored = get_user(user.name);
    if (stored)
      user.created_at = stored->created_at;
    else if (is(stored.error(), errc::not_found))
      ++new_users;
    else if (!is(stored.error(), errc::failed_precondition))
      return stored.error();
    if (auto err = put_into(batch, *db_, user_key(user.name), encode(user)))
      return err;
  }
  size_t new_keys = 0;
  for (auto key : keys) {
    auto stored = get_api_key(key.id);
    if (stored) {
      key.created_at = stored->created_at;
      key.revoked = key.revoked || stored->revoked;
    } else if (is(stored.error(), errc::not_found)) {
      ++new_keys;
    } else {
      return stored.error();
    }
    if (auto err = put_into(batch, *db_, api_key_key(key.id), encode(key)))
      return err;
  }
  if (auto err = room_for(user_count_, new_users, opts_.max_users, "users"))
    return err;
  if (auto err
      = room_for(api_key_count_, new_keys, opts_.max_api_keys, "API keys"))
    return err;
  if (auto err = db_->write(batch))
    return err;
  user_count_ += new_users;
  api_key_count_ += new_keys;
  return caf::none;
}

} // namespace bsm::security
