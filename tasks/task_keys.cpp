#include "tasks/task_keys.hpp"

#include <charconv>
#include <cstdio>
#include <memory>

#include <rocksdb/iterator.h>

#include "runtime/error.hpp"
#include "tasks/task_lifecycle.hpp"
#include "tasks/task_spec.hpp"

namespace bsm::tasks {

namespace {

constexpr std::string_view record_prefix = "r/";
constexpr std::string_view state_prefix = "s/";
constexpr std::string_view ready_prefix = "w/";
constexpr std::string_view ready_index_done = "m/ready-index";
// Records read into one batch while the ready index is built.
constexpr size_t build_batch = 10'000;

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

std::string ready_key(int64_t ready, const std::string& id) {
  char stamp[20];
  std::snprintf(stamp, sizeof stamp, "%016llx",
                static_cast<unsigned long long>(std::max<int64_t>(ready, 0)));
  return std::string{ready_prefix} + stamp + "/" + id;
}

std::string ready_value(const v1::TaskRecord& rec) {
  return std::to_string(static_cast<int>(rec.state())) + ","
         + std::to_string(rec.spec().priority()) + ","
         + std::to_string(rec.spec().deadline_unix_ms()) + ","
         + target_of(rec.spec());
}

template <class T>
bool read_number(std::string_view& text, T& out) {
  auto comma = text.find(',');
  if (comma == std::string_view::npos)
    return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + comma, out);
  if (ec != std::errc{} || end != text.data() + comma)
    return false;
  text.remove_prefix(comma + 1);
  return true;
}

caf::expected<ready_entry> parse_ready(std::string_view key,
                                       std::string_view value) {
  auto bad = [&] {
    return make_error(errc::internal, "ready index entry '" + std::string{key}
                                        + "' does not parse");
  };
  // w/ + 16 hex digits + / + id
  constexpr size_t stamp_end = ready_prefix.size() + 16;
  if (key.size() <= stamp_end + 1 || key[stamp_end] != '/')
    return bad();
  ready_entry e;
  auto stamp = key.substr(ready_prefix.size(), 16);
  auto [end, ec]
    = std::from_chars(stamp.data(), stamp.data() + 16, e.task.ready_at, 16);
  if (ec != std::errc{} || end != stamp.data() + 16)
    return bad();
  e.task.id = std::string{key.substr(stamp_end + 1)};
  int state = 0;
  if (!read_number(value, state) || !read_number(value, e.task.priority)
      || !read_number(value, e.task.deadline) || value.empty())
    return bad();
  e.state = static_cast<v1::TaskState>(state);
  e.task.target = std::string{value};
  return e;
}

rocksdb::Slice slice_of(std::string_view s) {
  return {s.data(), s.size()};
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

index_place place_of(const v1::TaskRecord& rec) {
  return {rec.state(), ready_at(rec)};
}

rocksdb::Status put_record(rocksdb::WriteBatch& batch, const store& db,
                           const v1::TaskRecord& rec,
                           std::optional<index_place> before) {
  auto* cf = db.handle(column::tasks);
  const auto& id = rec.task_id();
  if (before && before->state != rec.state())
    if (auto st = batch.Delete(cf, state_key(before->state, id)); !st.ok())
      return st;
  if (before && is_waiting(before->state))
    if (auto st = batch.Delete(cf, ready_key(before->ready_at, id)); !st.ok())
      return st;
  if (auto st = batch.Put(cf, state_key(rec.state(), rec.task_id()), "");
      !st.ok())
    return st;
  if (is_waiting(rec.state()))
    if (auto st = batch.Put(cf, ready_key(ready_at(rec), id), ready_value(rec));
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

caf::error for_each_in(const store& db, v1::TaskState state,
                       const std::function<void(v1::TaskRecord&&)>& visit) {
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
  return caf::none;
}

caf::expected<std::string>
read_ready(const store& db, const std::string& after, size_t max,
           const std::function<void(ready_entry&&)>& visit) {
  rocksdb::ReadOptions opts;
  // A start reads the whole index once: keep it out of the block cache.
  opts.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it{
    db.db().NewIterator(opts, db.handle(column::tasks))};
  if (after.empty()) {
    it->Seek(slice_of(ready_prefix));
  } else {
    it->Seek(after);
    if (it->Valid() && it->key() == after)
      it->Next();
  }
  std::string last;
  for (size_t n = 0;
       it->Valid() && it->key().starts_with(slice_of(ready_prefix));
       it->Next()) {
    if (n++ == max)
      return last;
    auto key = it->key();
    auto e = parse_ready({key.data(), key.size()},
                         {it->value().data(), it->value().size()});
    if (!e)
      return e.error();
    last.assign(key.data(), key.size());
    visit(std::move(*e));
  }
  if (!it->status().ok())
    return from_rocksdb(it->status(), "cannot read the ready index");
  return std::string{};
}

caf::error ensure_ready_index(store& db) {
  auto done = db.get(column::tasks, ready_index_done);
  if (!done)
    return done.error();
  if (*done)
    return caf::none;
  auto* cf = db.handle(column::tasks);
  rocksdb::WriteBatch batch;
  caf::error failed;
  auto flush = [&] {
    if (!failed && batch.Count() > 0)
      failed = db.write(batch);
    batch.Clear();
  };
  for (auto state : {v1::TASK_STATE_QUEUED, v1::TASK_STATE_FAILED}) {
    auto err = for_each_in(db, state, [&](v1::TaskRecord&& rec) {
      if (auto st = batch.Put(cf, ready_key(ready_at(rec), rec.task_id()),
                              ready_value(rec));
          !st.ok())
        failed = from_rocksdb(st, "cannot build the ready index");
      if (static_cast<size_t>(batch.Count()) >= build_batch)
        flush();
    });
    if (err)
      return err;
  }
  flush();
  if (failed)
    return failed;
  return db.put(column::tasks, ready_index_done, "1");
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
