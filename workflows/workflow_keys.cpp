#include "workflows/workflow_keys.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>

#include <rocksdb/iterator.h>

#include "runtime/error.hpp"

namespace bsm::workflows {

namespace {

constexpr std::string_view version_prefix = "d/";
constexpr std::string_view newest_prefix = "l/";
constexpr std::string_view run_prefix = "r/";
constexpr std::string_view step_prefix = "s/";
constexpr std::string_view running_prefix = "a/";

std::string key(std::string_view prefix, const std::string& rest) {
  return std::string{prefix} + rest;
}

template <class Record>
caf::expected<Record> parse(const std::string& bytes, const std::string& k) {
  Record rec;
  if (!rec.ParseFromString(bytes))
    return make_error(errc::internal,
                      "workflow record '" + k + "' does not parse");
  return rec;
}

template <class Record>
caf::expected<std::optional<Record>> read(const store& db,
                                          const std::string& k) {
  auto bytes = db.get(column::workflows, k);
  if (!bytes)
    return bytes.error();
  if (!*bytes)
    return std::optional<Record>{};
  auto rec = parse<Record>(**bytes, k);
  if (!rec)
    return rec.error();
  return std::optional<Record>{std::move(*rec)};
}

// Calls `f(key, value)` for every entry under `prefix` until it returns
// false.
template <class F>
caf::error scan(const store& db, const std::string& prefix, F f,
                const std::string& from = {}) {
  std::unique_ptr<rocksdb::Iterator> it{
    db.db().NewIterator(rocksdb::ReadOptions{}, db.handle(column::workflows))};
  for (it->Seek(from.empty() ? prefix : from);
       it->Valid() && it->key().starts_with(prefix); it->Next())
    if (!f(it->key().ToString(), it->value().ToString()))
      break;
  if (!it->status().ok())
    return from_rocksdb(it->status(), "cannot read the workflows");
  return caf::none;
}

// Every record under `prefix`, in key order.
template <class Record>
caf::expected<std::vector<Record>> read_all(const store& db,
                                            const std::string& prefix) {
  std::vector<Record> result;
  caf::error bad;
  auto err = scan(db, prefix, [&](const std::string& k, const std::string& v) {
    auto rec = parse<Record>(v, k);
    if (!rec) {
      bad = rec.error();
      return false;
    }
    result.push_back(std::move(*rec));
    return true;
  });
  if (err || bad)
    return err ? err : bad;
  return result;
}

} // namespace

std::string make_run_id(int64_t now_ms, uint32_t random) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "w-%012llx-%08x",
                static_cast<unsigned long long>(now_ms) & 0xffffffffffffULL,
                random);
  return buf;
}

bool valid_run_id(const std::string& id) {
  return !id.empty() && id.size() <= 128 && id.front() != '.'
         && std::all_of(id.begin(), id.end(), [](char c) {
              return std::isalnum(static_cast<unsigned char>(c)) || c == '.'
                     || c == '_' || c == '-';
            });
}

rocksdb::Status put_version(rocksdb::WriteBatch& batch, const store& db,
                            const v1::WorkflowVersion& v) {
  auto* cf = db.handle(column::workflows);
  if (auto st = batch.Put(cf, key(version_prefix, v.name() + "/" + v.version()),
                          v.SerializeAsString());
      !st.ok())
    return st;
  return batch.Put(cf, key(newest_prefix, v.name()), v.version());
}

rocksdb::Status put_run(rocksdb::WriteBatch& batch, const store& db,
                        const v1::RunRecord& run) {
  auto* cf = db.handle(column::workflows);
  auto running = key(running_prefix, run.run_id());
  auto st = run.state() == v1::RUN_STATE_RUNNING ? batch.Put(cf, running, "")
                                                 : batch.Delete(cf, running);
  if (!st.ok())
    return st;
  return batch.Put(cf, key(run_prefix, run.run_id()), run.SerializeAsString());
}

rocksdb::Status put_step(rocksdb::WriteBatch& batch, const store& db,
                         const v1::StepRecord& step) {
  return batch.Put(db.handle(column::workflows),
                   key(step_prefix, step.run_id() + "/" + step.step_id()),
                   step.SerializeAsString());
}

caf::expected<std::optional<v1::WorkflowVersion>>
read_version(const store& db, const std::string& name,
             const std::string& version) {
  auto id = version;
  if (id.empty()) {
    auto newest = db.get(column::workflows, key(newest_prefix, name));
    if (!newest)
      return newest.error();
    if (!*newest)
      return std::optional<v1::WorkflowVersion>{};
    id = **newest;
  }
  return read<v1::WorkflowVersion>(db, key(version_prefix, name + "/" + id));
}

caf::expected<std::vector<v1::WorkflowVersion>>
read_versions(const store& db, const std::string& name) {
  auto result
    = read_all<v1::WorkflowVersion>(db, key(version_prefix, name + "/"));
  if (result)
    std::stable_sort(result->begin(), result->end(),
                     [](const auto& x, const auto& y) {
                       return x.created_unix_ms() < y.created_unix_ms();
                     });
  return result;
}

caf::expected<std::vector<v1::WorkflowVersion>> read_newest(const store& db) {
  std::vector<std::pair<std::string, std::string>> names;
  auto err = scan(db, std::string{newest_prefix},
                  [&](const std::string& k, const std::string& v) {
                    names.emplace_back(k.substr(newest_prefix.size()), v);
                    return true;
                  });
  if (err)
    return err;
  std::vector<v1::WorkflowVersion> result;
  for (const auto& [name, version] : names) {
    auto v = read_version(db, name, version);
    if (!v)
      return v.error();
    if (*v)
      result.push_back(std::move(**v));
  }
  return result;
}

caf::expected<std::optional<v1::RunRecord>>
read_run(const store& db, const std::string& run_id) {
  return read<v1::RunRecord>(db, key(run_prefix, run_id));
}

caf::expected<std::vector<v1::StepRecord>>
read_steps(const store& db, const std::string& run_id) {
  return read_all<v1::StepRecord>(db, key(step_prefix, run_id + "/"));
}

caf::expected<std::vector<std::string>> read_running(const store& db) {
  std::vector<std::string> result;
  auto err = scan(db, std::string{running_prefix},
                  [&](const std::string& k, const std::string&) {
                    result.push_back(k.substr(running_prefix.size()));
                    return true;
                  });
  if (err)
    return err;
  return result;
}

caf::expected<v1::RunListResponse> list_runs(const store& db,
                                             const run_query& q) {
  v1::RunListResponse resp;
  uint32_t scanned = 0;
  std::string last;
  caf::error bad;
  auto prefix = std::string{run_prefix};
  auto from = q.after.empty() ? std::string{} : prefix + q.after;
  auto err = scan(
    db, prefix,
    [&](const std::string& k, const std::string& v) {
      auto id = k.substr(prefix.size());
      if (id == q.after)
        return true;
      if (resp.runs_size() >= static_cast<int>(q.limit)
          || scanned >= q.max_scanned) {
        resp.set_next(last);
        return false;
      }
      ++scanned;
      last = id;
      auto rec = parse<v1::RunRecord>(v, k);
      if (!rec) {
        bad = rec.error();
        return false;
      }
      if ((q.workflow.empty() || rec->workflow() == q.workflow)
          && (q.state == v1::RUN_STATE_UNSPECIFIED || rec->state() == q.state))
        *resp.add_runs() = std::move(*rec);
      return true;
    },
    from);
  if (err || bad)
    return err ? err : bad;
  return resp;
}

} // namespace bsm::workflows
