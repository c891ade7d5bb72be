#include "tasks/task_keys.hpp"

#include <cstdio>
#include <memory>

#include <rocksdb/iterator.h>

#include "runtime/error.hpp"

namespace bsm::tasks {

namespace {

constexpr std::string_view record_prefix = "r/";
constexpr std::string_view state_prefix = "s/";

std::string state_prefix_of(v1::TaskState state) {
  return std::string{state_prefix} + std::to_string(static_cast<int>(state))
         + "/";
}

caf::expected<v1::TaskRecord> parse_record(const std::string& bytes,
                                           const std::string& key) {
  v1::TaskRecord rec;
  if (!rec.ParseFromString(bytes))
    return make_error(errc::internal,
                      "task record '" + key + "' does not parse");
  return rec;
}

bool has_label(const v1::TaskRecord& rec, const std::string& label) {
  auto eq = label.find('=');
  auto key = label.substr(0, eq);
  auto i = rec.spec().labels().find(key);
  if (i == rec.spec().labels().end())
    return false;
  return eq == std::string::npos || i->second == label.substr(eq + 1);
}

bool matches(const v1::TaskRecord& rec, const list_query& q) {
  if (q.state != v1::TASK_STATE_UNSPECIFIED && rec.state() != q.state)
    return false;
  if (!q.agent.empty() && rec.spec().agent() != q.agent)
    return false;
  return q.label.empty() || has_label(rec, q.label);
}

} // namespace

std::string make_task_id(int64_t now_ms, uint32_t random) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "t-%012llx-%08x",
                static_cast<unsigned long long>(now_ms) & 0xffffffffffffULL,
                random);
  return buf;
}

bool valid_task_id(const std::string& id) {
  if (id.size() != 23 || id.compare(0, 2, "t-") != 0 || id[14] != '-')
    return false;
  for (size_t i = 2; i < id.size(); ++i) {
    auto c = id[i];
    if (i != 14 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  }
  return true;
}

std::string record_key(const std::string& id) {
  return std::string{record_prefix} + id;
}

std::string state_key(v1::TaskState state, const std::string& id) {
  return state_prefix_of(state) + id;
}

std::string idempotency_key(const v1::Principal& who, const std::string& key) {
  return "k/" + who.kind() + ":" + who.name() + "\n" + key;
}

rocksdb::Status put_record(rocksdb::WriteBatch& batch, const store& db,
                           const v1::TaskRecord& rec, v1::TaskState before) {
  auto* cf = db.handle(column::tasks);
  if (before != v1::TASK_STATE_UNSPECIFIED && before != rec.state())
    if (auto st = batch.Delete(cf, state_key(before, rec.task_id())); !st.ok())
      return st;
  if (auto st = batch.Put(cf, state_key(rec.state(), rec.task_id()), "");
      !st.ok())
    return st;
  return batch.Put(cf, record_key(rec.task_id()), rec.SerializeAsString());
}

rocksdb::Status put_idempotency(rocksdb::WriteBatch& batch, const store& db,
                                const std::string& index_key,
                                const std::string& task_id) {
  return batch.Put(db.handle(column::tasks), index_key, task_id);
}

caf::expected<std::optional<v1::TaskRecord>>
read_record(const store& db, const std::string& id) {
  auto key = record_key(id);
  auto bytes = db.get(column::tasks, key);
  if (!bytes)
    return bytes.error();
  if (!*bytes)
    return std::optional<v1::TaskRecord>{};
  auto rec = parse_record(**bytes, key);
  if (!rec)
    return rec.error();
  return std::optional<v1::TaskRecord>{std::move(*rec)};
}

caf::expected<std::optional<std::string>>
read_idempotency(const store& db, const std::string& index_key) {
  return db.get(column::tasks, index_key);
}

caf::error for_each_active(const store& db,
                           const std::function<void(v1::TaskRecord&&)>& visit) {
  for (auto state :
       {v1::TASK_STATE_QUEUED, v1::TASK_STATE_FAILED, v1::TASK_STATE_RUNNING}) {
    auto prefix = state_prefix_of(state);
    std::unique_ptr<rocksdb::Iterator> it{
      db.db().NewIterator(rocksdb::ReadOptions{}, db.handle(column::tasks))};
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
         it->Next()) {
      auto id = it->key().ToString().substr(prefix.size());
      auto rec = read_record(db, id);
      if (!rec)
        return rec.error();
      if (*rec && (*rec)->state() == state)
        visit(std::move(**rec));
    }
    if (!it->status().ok())
      return from_rocksdb(it->status(), "cannot read the task index");
  }
  return caf::none;
}

caf::expected<v1::TaskListResponse> list_records(const store& db,
                                                 const list_query& q) {
  v1::TaskListResponse resp;
  // By state: its index; otherwise the records themselves.
  auto prefix = q.state == v1::TASK_STATE_UNSPECIFIED
                  ? std::string{record_prefix}
                  : state_prefix_of(q.state);
  std::unique_ptr<rocksdb::Iterator> it{
    db.db().NewIterator(rocksdb::ReadOptions{}, db.handle(column::tasks))};
  uint32_t scanned = 0;
  std::string last;
  it->Seek(prefix + q.after);
  if (!q.after.empty() && it->Valid() && it->key() == prefix + q.after)
    it->Next();
  for (; it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (resp.tasks_size() >= static_cast<int>(q.limit)
        || scanned >= q.max_scanned) {
      resp.set_next(last);
      return resp;
    }
    ++scanned;
    last = it->key().ToString().substr(prefix.size());
    std::optional<v1::TaskRecord> rec;
    if (q.state == v1::TASK_STATE_UNSPECIFIED) {
      auto parsed = parse_record(it->value().ToString(), it->key().ToString());
      if (!parsed)
        return parsed.error();
      rec = std::move(*parsed);
    } else {
      auto read = read_record(db, last);
      if (!read)
        return read.error();
      rec = std::move(*read);
    }
    if (rec && matches(*rec, q))
      *resp.add_tasks() = std::move(*rec);
  }
  if (!it->status().ok())
    return from_rocksdb(it->status(), "cannot list the tasks");
  return resp;
}

} // namespace bsm::tasks
