#include "runtime/mailbox/mailbox_store.hpp"

#include <memory>

#include <rocksdb/iterator.h>

#include "runtime/clock.hpp"
#include "runtime/store/big_endian.hpp"
#include "runtime/store/expiring_value.hpp"

namespace bsm::mailbox {

namespace {

rocksdb::Slice slice(std::string_view x) {
  return {x.data(), x.size()};
}

std::string target_prefix(std::string_view target) {
  std::string result{target};
  result.push_back('\0');
  return result;
}

std::unique_ptr<rocksdb::Iterator> iterate(const store& db, column cf) {
  return std::unique_ptr<rocksdb::Iterator>{
    db.db().NewIterator(rocksdb::ReadOptions{}, db.handle(cf))};
}

} // namespace

std::string envelope_key(std::string_view target, uint64_t seq) {
  auto result = target_prefix(target);
  append_big_endian(result, seq);
  return result;
}

std::optional<std::pair<std::string_view, uint64_t>>
parse_envelope_key(std::string_view key) {
  if (key.size() < 9 || key[key.size() - 9] != '\0')
    return std::nullopt;
  return std::make_pair(key.substr(0, key.size() - 9),
                        read_big_endian(key.substr(key.size() - 8)));
}

std::string seq_key(std::string_view target) {
  std::string result{"mailbox.seq", 11};
  result.push_back('\0');
  result.append(target);
  return result;
}

std::string idempotency_key(std::string_view target, std::string_view key) {
  auto result = target_prefix(target);
  result.append(key);
  return result;
}

rocksdb::Status add_update(store& db, rocksdb::WriteBatch& batch,
                           std::string_view target, uint64_t seq,
                           std::string_view envelope_bytes) {
  return batch.Put(db.handle(column::mailbox), slice(envelope_key(target, seq)),
                   slice(envelope_bytes));
}

rocksdb::Status add_append(store& db, rocksdb::WriteBatch& batch,
                           std::string_view target, uint64_t seq,
                           std::string_view envelope_bytes) {
  auto st = add_update(db, batch, target, seq, envelope_bytes);
  if (!st.ok())
    return st;
  std::string next;
  append_big_endian(next, seq + 1);
  return batch.Put(db.handle(column::meta), slice(seq_key(target)),
                   slice(next));
}

rocksdb::Status add_idempotency(store& db, rocksdb::WriteBatch& batch,
                                std::string_view target, std::string_view key,
                                const v1::IdempotencyRecord& record,
                                int64_t expires_unix_ms) {
  return batch.Put(
    db.handle(column::idempotency), slice(idempotency_key(target, key)),
    slice(make_expiring_value(expires_unix_ms, record.SerializeAsString())));
}

rocksdb::Status add_ack(store& db, rocksdb::WriteBatch& batch,
                        std::string_view target, uint64_t seq) {
  return batch.Delete(db.handle(column::mailbox),
                      slice(envelope_key(target, seq)));
}

rocksdb::Status add_purge(store& db, rocksdb::WriteBatch& batch,
                          std::string_view target) {
  auto end = target_prefix(target);
  end.back() = '\x01'; // just past every key of `target`
  return batch.DeleteRange(db.handle(column::mailbox),
                           slice(target_prefix(target)), slice(end));
}

rocksdb::Status add_dead_letter(store& db, rocksdb::WriteBatch& batch,
                                std::string_view target,
                                const v1::DeadLetter& letter) {
  auto key = envelope_key(target, letter.seq());
  auto st = batch.Delete(db.handle(column::mailbox), slice(key));
  if (!st.ok())
    return st;
  return batch.Put(db.handle(column::dead_letter), slice(key),
                   slice(letter.SerializeAsString()));
}

caf::expected<std::optional<v1::IdempotencyRecord>>
find_idempotency(const store& db, std::string_view target, std::string_view key,
                 int64_t now_unix_ms) {
  auto value = db.get(column::idempotency, idempotency_key(target, key));
  if (!value)
    return value.error();
  std::optional<v1::IdempotencyRecord> result;
  if (!*value)
    return result;
  auto payload = live_payload(**value, now_unix_ms);
  v1::IdempotencyRecord record;
  // An unreadable record is treated as absent: the send goes through.
  if (payload
      && record.ParseFromArray(payload->data(),
                               static_cast<int>(payload->size())))
    result = std::move(record);
  return result;
}

caf::expected<v1::MailboxOpenResponse> open(const store& db,
                                            std::string_view target) {
  v1::MailboxOpenResponse result;
  auto counter = db.get(column::meta, seq_key(target));
  if (!counter)
    return counter.error();
  uint64_t next = 0;
  if (*counter && (*counter)->size() == 8)
    next = read_big_endian(**counter);
  auto prefix = target_prefix(target);
  auto it = iterate(db, column::mailbox);
  it->Seek(slice(prefix));
  uint64_t head = next;
  if (it->Valid() && it->key().starts_with(slice(prefix))) {
    head = read_big_endian({it->key().data() + prefix.size(), 8});
    // The counter is written with every append; the newest key is only a
    // guard against a counter lost to a damaged meta record.
    it->SeekForPrev(slice(envelope_key(target, UINT64_MAX)));
    if (it->Valid() && it->key().starts_with(slice(prefix)))
      next = std::max(
        next, read_big_endian({it->key().data() + prefix.size(), 8}) + 1);
  }
  if (auto err = from_rocksdb(it->status(), "cannot read mailbox"))
    return err;
  result.set_next_seq(next);
  result.set_head_seq(std::min(head, next));
  return result;
}

caf::expected<v1::MailboxReadResponse> read(store& db,
                                            const v1::MailboxReadRequest& req) {
  v1::MailboxReadResponse result;
  auto prefix = target_prefix(req.target());
  auto end = envelope_key(req.target(), req.to_seq());
  rocksdb::WriteBatch corrupt;
  auto it = iterate(db, column::mailbox);
  for (it->Seek(slice(envelope_key(req.target(), req.from_seq())));
       it->Valid() && it->key().compare(slice(end)) < 0
       && result.entries_size() < static_cast<int>(req.max_entries());
       it->Next()) {
    auto seq = read_big_endian({it->key().data() + prefix.size(), 8});
    auto* entry = result.add_entries();
    if (entry->mutable_envelope()->ParseFromArray(
          it->value().data(), static_cast<int>(it->value().size()))) {
      entry->set_seq(seq);
      continue;
    }
    result.mutable_entries()->RemoveLast();
    v1::DeadLetter letter;
    letter.set_seq(seq);
    letter.set_error("the stored envelope does not parse");
    letter.set_first_error(letter.error());
    letter.set_reason(v1::DEAD_LETTER_REASON_CORRUPT);
    letter.set_dead_unix_ms(unix_now_ms());
    letter.mutable_envelope()->set_target(req.target());
    auto st = add_dead_letter(db, corrupt, req.target(), letter);
    if (!st.ok())
      return from_rocksdb(st, "cannot move a damaged envelope");
    result.set_corrupt(result.corrupt() + 1);
  }
  if (auto err = from_rocksdb(it->status(), "cannot read mailbox"))
    return err;
  if (result.corrupt() > 0)
    if (auto err = db.write(corrupt))
      return err;
  return result;
}

caf::expected<std::vector<std::string>> pending_targets(const store& db) {
  std::vector<std::string> result;
  auto it = iterate(db, column::mailbox);
  for (it->SeekToFirst(); it->Valid();) {
    auto parsed = parse_envelope_key({it->key().data(), it->key().size()});
    if (!parsed) {
      it->Next();
      continue;
    }
    result.emplace_back(parsed->first);
    // NUL is the separator, so target + "\x01" sorts after all its keys.
    auto next = result.back();
    next.push_back('\x01');
    it->Seek(slice(next));
  }
  if (auto err = from_rocksdb(it->status(), "cannot list mailboxes"))
    return err;
  return result;
}

caf::expected<std::vector<v1::DeadLetter>>
dead_letters(const store& db, std::string_view target, size_t max) {
  std::vector<v1::DeadLetter> result;
  auto prefix = target_prefix(target);
  auto it = iterate(db, column::dead_letter);
  for (it->Seek(slice(prefix));
       it->Valid() && it->key().starts_with(slice(prefix))
       && result.size() < max;
       it->Next()) {
    v1::DeadLetter letter;
    if (letter.ParseFromArray(it->value().data(),
                              static_cast<int>(it->value().size())))
      result.push_back(std::move(letter));
  }
  if (auto err = from_rocksdb(it->status(), "cannot read dead letters"))
    return err;
  return result;
}

} // namespace bsm::mailbox
