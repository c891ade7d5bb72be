#include "runtime/mailbox/dead_letters.hpp"

#include <algorithm>
#include <charconv>
#include <memory>

#include <rocksdb/iterator.h>

#include "runtime/error.hpp"
#include "runtime/mailbox/mailbox_store.hpp"

namespace bsm::mailbox {

namespace {

rocksdb::Slice slice(std::string_view x) {
  return {x.data(), x.size()};
}

std::string prefix_of(std::string_view target) {
  std::string result{target};
  result.push_back('\0');
  return result;
}

std::unique_ptr<rocksdb::Iterator> iterate(const store& db) {
  return std::unique_ptr<rocksdb::Iterator>{db.db().NewIterator(
    rocksdb::ReadOptions{}, db.handle(column::dead_letter))};
}

caf::error malformed(std::string_view id) {
  return make_error(errc::invalid_argument,
                    "'" + std::string{id} + "' is not a dead letter id");
}

caf::error unknown(std::string_view id) {
  return make_error(errc::not_found,
                    "no dead letter '" + std::string{id} + "'");
}

// The entry at the iterator's position; false if the key or value is not a
// dead letter's.
bool entry_at(const rocksdb::Iterator& it, v1::DeadLetterEntry& out) {
  auto key = parse_envelope_key({it.key().data(), it.key().size()});
  if (!key
      || !out.mutable_letter()->ParseFromArray(
        it.value().data(), static_cast<int>(it.value().size())))
    return false;
  out.set_id(dead_letter_id(key->first, key->second));
  return true;
}

caf::expected<std::string> key_of(std::string_view id) {
  auto parsed = parse_dead_letter_id(id);
  if (!parsed)
    return malformed(id);
  return envelope_key(parsed->first, parsed->second);
}

} // namespace

std::string dead_letter_id(std::string_view target, uint64_t seq) {
  std::string result{target};
  std::replace(result.begin(), result.end(), '/', '~');
  result.push_back('~');
  result += std::to_string(seq);
  return result;
}

std::optional<std::pair<std::string, uint64_t>>
parse_dead_letter_id(std::string_view id) {
  auto sep = id.rfind('~');
  if (sep == std::string_view::npos || sep == 0 || sep + 1 == id.size())
    return std::nullopt;
  uint64_t seq = 0;
  auto digits = id.substr(sep + 1);
  auto [end, ec]
    = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  if (ec != std::errc{} || end != digits.data() + digits.size())
    return std::nullopt;
  std::string target{id.substr(0, sep)};
  std::replace(target.begin(), target.end(), '~', '/');
  return std::make_pair(std::move(target), seq);
}

v1::DeadLetterReason reason_of(const caf::error& err) {
  if (err == caf::sec::unexpected_message)
    return v1::DEAD_LETTER_REASON_TYPE_NOT_HANDLED;
  if (is_permanent_error(err))
    return v1::DEAD_LETTER_REASON_REFUSED;
  return v1::DEAD_LETTER_REASON_ATTEMPTS_EXHAUSTED;
}

std::string_view to_string(v1::DeadLetterReason x) {
  switch (x) {
    case v1::DEAD_LETTER_REASON_TYPE_NOT_HANDLED: return "type_not_handled";
    case v1::DEAD_LETTER_REASON_ATTEMPTS_EXHAUSTED: return "attempts_exhausted";
    case v1::DEAD_LETTER_REASON_REFUSED: return "refused";
    case v1::DEAD_LETTER_REASON_CORRUPT: return "corrupt";
    default: return "unspecified";
  }
}

rocksdb::Status add_drop_oldest(const store& db, rocksdb::WriteBatch& batch,
                                std::string_view target, uint64_t max_kept,
                                uint64_t adding, uint64_t& dropped) {
  auto prefix = prefix_of(target);
  auto it = iterate(db);
  uint64_t kept = 0;
  for (it->Seek(slice(prefix));
       it->Valid() && it->key().starts_with(slice(prefix)); it->Next())
    ++kept;
  if (!it->status().ok())
    return it->status();
  if (kept + adding <= max_kept)
    return rocksdb::Status::OK();
  auto excess = std::min(kept, kept + adding - max_kept);
  uint64_t n = 0;
  for (it->Seek(slice(prefix)); n < excess && it->Valid(); it->Next(), ++n)
    if (auto st = batch.Delete(db.handle(column::dead_letter), it->key());
        !st.ok())
      return st;
  dropped += n;
  return it->status();
}

caf::expected<v1::DeadLetterListResponse>
list_dead_letters(const store& db, const v1::DeadLetterListRequest& req) {
  auto limit = req.limit() == 0 ? max_dead_letter_page
                                : std::min(req.limit(), max_dead_letter_page);
  auto prefix = req.target().empty() ? std::string{} : prefix_of(req.target());
  auto it = iterate(db);
  if (req.after().empty()) {
    it->Seek(slice(prefix));
  } else {
    auto after = key_of(req.after());
    if (!after)
      return after.error();
    it->Seek(slice(*after));
    if (it->Valid() && it->key() == slice(*after))
      it->Next();
  }
  v1::DeadLetterListResponse result;
  for (; it->Valid() && it->key().starts_with(slice(prefix)); it->Next()) {
    if (static_cast<uint32_t>(result.letters_size()) == limit) {
      result.set_next_after(result.letters(result.letters_size() - 1).id());
      break;
    }
    v1::DeadLetterEntry entry;
    if (entry_at(*it, entry))
      *result.add_letters() = std::move(entry);
  }
  if (auto err = from_rocksdb(it->status(), "cannot read dead letters"))
    return err;
  return result;
}

caf::expected<v1::DeadLetterEntry> get_dead_letter(const store& db,
                                                   std::string_view id) {
  auto key = key_of(id);
  if (!key)
    return key.error();
  auto value = db.get(column::dead_letter, *key);
  if (!value)
    return value.error();
  v1::DeadLetterEntry result;
  if (!*value
      || !result.mutable_letter()->ParseFromArray(
        (*value)->data(), static_cast<int>((*value)->size())))
    return unknown(id);
  result.set_id(std::string{id});
  return result;
}

caf::error delete_dead_letter(store& db, std::string_view id) {
  // Read first: deleting a missing key would succeed silently.
  auto found = get_dead_letter(db, id);
  if (!found)
    return found.error();
  return db.erase(column::dead_letter, *key_of(id));
}

caf::expected<uint64_t> purge_dead_letters(store& db, std::string_view target) {
  auto prefix = prefix_of(target);
  rocksdb::WriteBatch batch;
  uint64_t purged = 0;
  auto it = iterate(db);
  for (it->Seek(slice(prefix));
       it->Valid() && it->key().starts_with(slice(prefix)); it->Next()) {
    if (auto st = batch.Delete(db.handle(column::dead_letter), it->key());
        !st.ok())
      return from_rocksdb(st, "cannot purge dead letters");
    ++purged;
  }
  if (auto err = from_rocksdb(it->status(), "cannot read dead letters"))
    return err;
  if (purged > 0)
    if (auto err = db.write(batch))
      return err;
  return purged;
}

} // namespace bsm::mailbox
