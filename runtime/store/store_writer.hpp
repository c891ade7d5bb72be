#pragma once

// Group commit for the store: any thread (a CAF actor included) hands its
// writes to `submit` and returns at once; one writer thread gathers all
// writes queued while its previous write ran into a single RocksDB write,
// so concurrent senders share one log write (and one fsync with
// durability: fsync). Each submitter's completion runs after its batch is
// durable at the configured level, or with the error if the group failed,
// in which case nothing of that group was written.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include <caf/error.hpp>
#include <rocksdb/write_batch.h>
#include <vector>

#include "runtime/store/store.hpp"

namespace bsm {

struct store_writer_options {
  /// Most batches merged into one write. Default: 256.
  size_t max_group = 256;
  /// Most batches waiting; `submit` refuses more with `unavailable` so
  /// memory stays bounded under overload. Default: 65536.
  size_t max_queued = 65536;
};

/// Thread-safe. Completions run on the writer thread: they must be quick
/// and must not block (send a message, fulfil a promise).
class store_writer {
public:
  using completion = std::function<void(const caf::error&)>;

  /// Adds one submitter's puts and deletes to the group's batch. Runs on the
  /// writer thread, so it must own what it writes (capture by value). A
  /// non-ok status fails that submitter only: its part is rolled back.
  using batch_fill = std::function<rocksdb::Status(rocksdb::WriteBatch&)>;

  /// REQUIRES: `db` outlives the writer.
  explicit store_writer(store& db, store_writer_options opts = {});

  /// Writes everything already submitted, then stops the thread.
  ~store_writer();

  store_writer(const store_writer&) = delete;
  store_writer& operator=(const store_writer&) = delete;

  /// Queues `fill`. Errors: `unavailable` if the queue is full or the
  /// writer is stopping; `done` is then not called.
  [[nodiscard]] caf::error submit(batch_fill fill, completion done);

  /// Whether a thread that may block (a detached actor) should write
  /// with write_here instead of submit: true unless a write waits for an
  /// fsync. Handing a write over costs two thread hand-offs; it pays only
  /// when the group shares one fsync. Without one, RocksDB's own write
  /// group joins concurrent writers' log writes anyway.
  bool writes_here() const noexcept;

  /// Whether nothing is queued or being written, by the writer's thread
  /// or with write_here: a write now would form a group of one. A hint,
  /// out of date as soon as it returns.
  bool idle() const;

  /// Writes `fill`'s batch on the calling thread, which may block; counted
  /// as a write of one batch. Errors as submit's completion would give,
  /// and `unavailable` once the writer is stopping.
  [[nodiscard]] caf::error write_here(const batch_fill& fill);

  /// Writes (groups) and batches written so far; batches / writes is the
  /// mean group size.
  uint64_t writes() const;
  uint64_t batches() const;

private:
  struct pending {
    batch_fill fill;
    completion done;
    caf::error err;
  };

  void run();
  void write_group(std::deque<pending>& group);

  store& db_;
  store_writer_options opts_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<pending> queue_;
  bool stopping_ = false;
  // The writer's thread is writing a group.
  bool writing_group_ = false;
  // write_here calls running; the destructor waits on `here_done_` for
  // them to end.
  size_t writing_here_ = 0;
  std::condition_variable here_done_;
  uint64_t writes_ = 0;
  uint64_t batches_ = 0;
  std::thread thread_;
};

} // namespace bsm
