// Durable writes: the store's group-commit writer against raw RocksDB doing
// the same work with the same WriteOptions, side by side in one run.
//
// Work per message, as a durable mailbox does it: put the envelope (append),
// later delete it (acknowledge). Raw baselines: put + delete per message
// from one thread, and puts in WriteBatches of 64. Store writer: N sender
// threads, each waiting for its append to be durable before it sends the
// next, as a sender waiting for its acknowledgement does.

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <future>
#include <random>
#include <thread>

#include <rocksdb/write_batch.h>

#include "runtime/error.hpp"
#include "runtime/store/store.hpp"
#include "runtime/store/store_writer.hpp"

namespace {

namespace fs = std::filesystem;

const std::string envelope(200, 'e');

/// A fresh store under BSM_BENCH_DIR (default: the system temp dir, which
/// must be a real disk for the fsync figures to mean anything).
class bench_store {
public:
  explicit bench_store(bsm::durability level) {
    const char* base = std::getenv("BSM_BENCH_DIR");
    std::random_device rd;
    dir_ = fs::path{base != nullptr ? base : fs::temp_directory_path().string()}
           / ("bsm-store-bench-" + std::to_string(getpid()) + "-"
              + std::to_string(rd()));
    bsm::store_options opts;
    opts.durability = level;
    auto s = bsm::store::open(dir_, opts);
    if (!s)
      throw std::runtime_error(bsm::render(s.error()));
    db = std::move(*s);
  }

  ~bench_store() {
    db.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::unique_ptr<bsm::store> db;

private:
  fs::path dir_;
};

bsm::durability level_of(const benchmark::State& state) {
  return state.range(0) == 0 ? bsm::durability::os : bsm::durability::fsync;
}

std::string key_of(uint64_t sender, uint64_t seq) {
  return std::to_string(sender) + "/" + std::to_string(seq);
}

// -- raw RocksDB -----------------------------------------------------------

void BM_RawRocksPutDelete(benchmark::State& state) {
  bench_store s{level_of(state)};
  auto& db = s.db->db();
  auto* cf = s.db->handle(bsm::column::mailbox);
  const auto& wo = s.db->write_options();
  uint64_t seq = 0;
  for (auto _ : state) {
    auto key = key_of(0, ++seq);
    if (!db.Put(wo, cf, key, envelope).ok() || !db.Delete(wo, cf, key).ok())
      state.SkipWithError("write failed");
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_RawRocksBatchedPut(benchmark::State& state) {
  constexpr int group = 64;
  bench_store s{level_of(state)};
  auto& db = s.db->db();
  auto* cf = s.db->handle(bsm::column::mailbox);
  const auto& wo = s.db->write_options();
  uint64_t seq = 0;
  for (auto _ : state) {
    rocksdb::WriteBatch batch;
    for (int i = 0; i < group; ++i)
      batch.Put(cf, key_of(0, ++seq), envelope);
    if (!db.Write(wo, &batch).ok())
      state.SkipWithError("write failed");
  }
  state.SetItemsProcessed(state.iterations() * group);
}

// Appends of a group in one batch, then their acknowledgements in another:
// what a perfect group commit of 64 senders would write.
void BM_RawRocksBatchedPutDelete(benchmark::State& state) {
  constexpr int group = 64;
  bench_store s{level_of(state)};
  auto& db = s.db->db();
  auto* cf = s.db->handle(bsm::column::mailbox);
  const auto& wo = s.db->write_options();
  uint64_t seq = 0;
  for (auto _ : state) {
    rocksdb::WriteBatch appends;
    rocksdb::WriteBatch acks;
    for (int i = 0; i < group; ++i) {
      auto key = key_of(0, ++seq);
      appends.Put(cf, key, envelope);
      acks.Delete(cf, key);
    }
    if (!db.Write(wo, &appends).ok() || !db.Write(wo, &acks).ok())
      state.SkipWithError("write failed");
  }
  state.SetItemsProcessed(state.iterations() * group);
}

// -- store writer ------------------------------------------------------------

/// One sender: appends a message, and when that is durable acknowledges
/// it, and when that is durable appends the next, `left` times. Each step
/// is submitted from the previous step's completion (as an actor would on
/// its ack message), so the figure is the writer's, not thread wake-ups.
struct sender_chain {
  bsm::store_writer* writer;
  rocksdb::ColumnFamilyHandle* cf;
  uint64_t id;
  uint64_t left;
  uint64_t seq = 0;
  std::function<void(bool)> finished;

  void append() {
    auto key = key_of(id, ++seq);
    auto err = writer->submit(
      [this, key](rocksdb::WriteBatch& b) { return b.Put(cf, key, envelope); },
      [this, key](const caf::error& e) { e ? finished(false) : ack(key); });
    if (err)
      finished(false);
  }

  void ack(const std::string& key) {
    auto err = writer->submit(
      [this, key](rocksdb::WriteBatch& b) { return b.Delete(cf, key); },
      [this](const caf::error& e) {
        if (e)
          finished(false);
        else if (--left == 0)
          finished(true);
        else
          append();
      });
    if (err)
      finished(false);
  }
};

// One iteration: every sender appends and acknowledges `per_sender`
// messages, one at a time, each step waiting until it is durable.
void BM_StoreWriterAppendAck(benchmark::State& state) {
  auto senders = static_cast<uint64_t>(state.range(1));
  auto per_sender = std::max<uint64_t>(1, 4096 / senders);
  bench_store s{level_of(state)};
  bsm::store_writer writer{*s.db};
  auto* cf = s.db->handle(bsm::column::mailbox);
  bool failed = false;
  for (auto _ : state) {
    std::promise<void> all_done;
    std::atomic<uint64_t> running{senders};
    std::vector<std::unique_ptr<sender_chain>> chains;
    for (uint64_t id = 0; id < senders; ++id) {
      chains.push_back(std::make_unique<sender_chain>(
        sender_chain{&writer, cf, id, per_sender, chains.size() * 1'000'000'000,
                     [&](bool ok) {
                       failed = failed || !ok;
                       if (--running == 0)
                         all_done.set_value();
                     }}));
    }
    for (auto& chain : chains)
      chain->append();
    all_done.get_future().wait();
  }
  if (failed)
    state.SkipWithError("a durable write failed");
  state.SetItemsProcessed(
    static_cast<int64_t>(state.iterations() * senders * per_sender));
  state.counters["mean_group"] = static_cast<double>(writer.batches())
                                 / static_cast<double>(writer.writes());
}

} // namespace

// Argument 0: durability (0 = os, 1 = fsync).
BENCHMARK(BM_RawRocksPutDelete)
  ->ArgNames({"fsync"})
  ->Arg(0)
  ->Arg(1)
  ->Unit(benchmark::kMicrosecond)
  ->UseRealTime();
BENCHMARK(BM_RawRocksBatchedPut)
  ->ArgNames({"fsync"})
  ->Arg(0)
  ->Arg(1)
  ->Unit(benchmark::kMicrosecond)
  ->UseRealTime();
BENCHMARK(BM_RawRocksBatchedPutDelete)
  ->ArgNames({"fsync"})
  ->Arg(0)
  ->Arg(1)
  ->Unit(benchmark::kMicrosecond)
  ->UseRealTime();
BENCHMARK(BM_StoreWriterAppendAck)
  ->ArgNames({"fsync", "senders"})
  ->ArgsProduct({{0, 1}, {1, 8, 64}})
  ->Unit(benchmark::kMillisecond)
  ->UseRealTime();

BENCHMARK_MAIN();
