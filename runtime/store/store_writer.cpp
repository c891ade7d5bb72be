#include "runtime/store/store_writer.hpp"

#include "runtime/error.hpp"

namespace bsm {

store_writer::store_writer(store& db, store_writer_options opts)
  : db_(db), opts_(opts) {
  thread_ = std::thread{[this] {
    run();
  }};
}

store_writer::~store_writer() {
  {
    std::unique_lock<std::mutex> guard{mtx_};
    stopping_ = true;
    // The store outlives the writer, not a write_here still running.
    here_done_.wait(guard, [this] { return writing_here_ == 0; });
  }
  cv_.notify_one();
  thread_.join();
}

bool store_writer::writes_here() const noexcept {
  return !db_.write_options().sync;
}

bool store_writer::idle() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return queue_.empty() && !writing_group_ && writing_here_ == 0;
}

caf::error store_writer::write_here(const batch_fill& fill) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (stopping_)
      return make_error(errc::unavailable, "store writer is stopping");
    ++writing_here_;
  }
  rocksdb::WriteBatch batch;
  auto st = fill(batch);
  auto err = st.ok() ? db_.write(batch)
                     : from_rocksdb(st, "cannot add writes to the batch");
  {
    std::lock_guard<std::mutex> guard{mtx_};
    --writing_here_;
    if (st.ok()) {
      ++writes_;
      ++batches_;
    }
  }
  here_done_.notify_all();
  return err;
}

caf::error store_writer::submit(batch_fill fill, completion done) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (stopping_)
      return make_error(errc::unavailable, "store writer is stopping");
    if (queue_.size() >= opts_.max_queued)
      return make_error(errc::unavailable, "store writer queue is full ("
                                             + std::to_string(opts_.max_queued)
                                             + " batches)");
    queue_.push_back(pending{std::move(fill), std::move(done), caf::error{}});
  }
  cv_.notify_one();
  return caf::none;
}

uint64_t store_writer::writes() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return writes_;
}

uint64_t store_writer::batches() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return batches_;
}

void store_writer::run() {
  std::deque<pending> group;
  for (;;) {
    {
      std::unique_lock<std::mutex> guard{mtx_};
      cv_.wait(guard, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty())
        return; // stopping and drained
      // Everything that queued up while the last write ran forms the group.
      auto n = std::min(queue_.size(), opts_.max_group);
      for (size_t i = 0; i < n; ++i) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      writing_group_ = true;
    }
    write_group(group);
    group.clear();
  }
}

void store_writer::write_group(std::deque<pending>& group) {
  rocksdb::WriteBatch batch;
  for (auto& x : group) {
    batch.SetSavePoint();
    auto st = x.fill(batch);
    if (st.ok()) {
      batch.PopSavePoint();
    } else {
      x.err = from_rocksdb(st, "cannot add writes to the batch");
      batch.RollbackToSavePoint();
    }
  }
  auto err = db_.write(batch);
  {
    std::lock_guard<std::mutex> guard{mtx_};
    ++writes_;
    batches_ += group.size();
    writing_group_ = false;
  }
  for (auto& x : group)
    if (x.done)
      x.done(x.err ? x.err : err);
}

} // namespace bsm
