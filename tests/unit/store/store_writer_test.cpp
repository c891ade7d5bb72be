#include "runtime/store/store_writer.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <future>

#include "failing_fs.hpp"
#include "runtime/error.hpp"
#include "tests/common/poll.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class StoreWriter : public ::testing::Test {
protected:
  ~StoreWriter() override {
    writer.reset();
    db.reset();
  }

  void open(bsm::store_options opts = {}, rocksdb::Env* env = nullptr,
            bsm::store_writer_options wopts = {}) {
    auto s = bsm::store::open(dir_.path(), opts, env);
    ASSERT_TRUE(s) << bsm::render(s.error());
    db = std::move(*s);
    writer = std::make_unique<bsm::store_writer>(*db, wopts);
  }

  bsm::store_writer::batch_fill put(std::string key) {
    auto* cf = db->handle(bsm::column::mailbox);
    return [cf, key](rocksdb::WriteBatch& batch) {
      return batch.Put(cf, key, "v");
    };
  }

  /// Holds the writer thread inside a fill until `release()`, so that
  /// everything submitted meanwhile forms the next group.
  struct gate {
    std::promise<void> entered;
    std::promise<void> released;
    std::shared_future<void> release_signal = released.get_future().share();

    bsm::store_writer::batch_fill fill() {
      return [this](rocksdb::WriteBatch&) {
        entered.set_value();
        release_signal.wait();
        return rocksdb::Status::OK();
      };
    }

    /// Submits the blocking fill and waits until the writer runs it.
    void close(bsm::store_writer& writer, bsm::store_writer::completion done) {
      auto inside = entered.get_future();
      ASSERT_FALSE(writer.submit(fill(), std::move(done)));
      ASSERT_EQ(inside.wait_for(10s), std::future_status::ready);
    }

    void release() {
      released.set_value();
    }
  };

  bool has(const std::string& key) {
    auto value = db->get(bsm::column::mailbox, key);
    return value && value->has_value();
  }

  /// Collects completions; `wait` blocks until `n` arrived.
  struct completions {
    std::mutex mtx;
    std::condition_variable cv;
    std::vector<caf::error> errors;

    bsm::store_writer::completion add() {
      return [this](const caf::error& err) {
        std::lock_guard<std::mutex> guard{mtx};
        errors.push_back(err);
        cv.notify_all();
      };
    }

    bool wait(size_t n) {
      std::unique_lock<std::mutex> guard{mtx};
      return cv.wait_for(guard, 10s, [&] { return errors.size() >= n; });
    }
  };

  bsm::test::temp_dir dir_;
  std::unique_ptr<bsm::store> db;
  std::unique_ptr<bsm::store_writer> writer;
};

TEST_F(StoreWriter, GroupsEverythingQueuedDuringAWriteIntoOneWrite) {
  open();
  completions done;
  gate g;
  g.close(*writer, done.add());
  for (int i = 0; i < 10; ++i)
    ASSERT_FALSE(writer->submit(put("k" + std::to_string(i)), done.add()));
  g.release();
  ASSERT_TRUE(done.wait(11));
  for (const auto& err : done.errors)
    EXPECT_FALSE(err) << bsm::render(err);
  EXPECT_EQ(writer->writes(), 2u);
  EXPECT_EQ(writer->batches(), 11u);
  for (int i = 0; i < 10; ++i)
    EXPECT_TRUE(has("k" + std::to_string(i)));
}

TEST_F(StoreWriter, CompletesEverySubmissionFromManyThreads) {
  bsm::store_options opts;
  opts.durability = bsm::durability::fsync;
  open(opts);
  completions done;
  constexpr int threads = 8;
  constexpr int per_thread = 200;
  std::vector<std::thread> senders;
  for (int t = 0; t < threads; ++t)
    senders.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i)
        ASSERT_FALSE(writer->submit(
          put("t" + std::to_string(t) + "-" + std::to_string(i)), done.add()));
    });
  for (auto& x : senders)
    x.join();
  ASSERT_TRUE(done.wait(threads * per_thread));
  for (const auto& err : done.errors)
    EXPECT_FALSE(err) << bsm::render(err);
  EXPECT_EQ(writer->batches(), uint64_t{threads * per_thread});
  for (int t = 0; t < threads; ++t)
    EXPECT_TRUE(
      has("t" + std::to_string(t) + "-" + std::to_string(per_thread - 1)));
}

TEST_F(StoreWriter, FailedWriteFailsTheWholeGroupAndWritesNothing) {
  auto fs_ptr
    = std::make_shared<bsm::test::failing_fs>(rocksdb::FileSystem::Default());
  auto env = rocksdb::NewCompositeEnv(fs_ptr);
  open({}, env.get());
  completions done;
  gate g;
  g.close(*writer, done.add());
  for (int i = 0; i < 5; ++i)
    ASSERT_FALSE(writer->submit(put("k" + std::to_string(i)), done.add()));
  *fs_ptr->full = true;
  g.release();
  ASSERT_TRUE(done.wait(6));
  for (size_t i = 1; i < done.errors.size(); ++i)
    EXPECT_TRUE(bsm::is(done.errors[i], bsm::errc::unavailable))
      << bsm::render(done.errors[i]);
  for (int i = 0; i < 5; ++i)
    EXPECT_FALSE(has("k" + std::to_string(i)));
  writer.reset();
  db.reset();
}

TEST_F(StoreWriter, BadWritesFailOnlyTheirSubmitter) {
  open();
  completions done;
  auto* cf = db->handle(bsm::column::mailbox);
  gate g;
  g.close(*writer, done.add());
  ASSERT_FALSE(writer->submit(put("good1"), done.add()));
  ASSERT_FALSE(writer->submit(
    [cf](rocksdb::WriteBatch& batch) {
      auto st = batch.Put(cf, "bad", "v");
      return st.ok() ? rocksdb::Status::InvalidArgument("refused") : st;
    },
    done.add()));
  ASSERT_FALSE(writer->submit(put("good2"), done.add()));
  g.release();
  ASSERT_TRUE(done.wait(4));
  EXPECT_FALSE(done.errors[1]);
  EXPECT_TRUE(done.errors[2]);
  EXPECT_NE(bsm::render(done.errors[2]).find("refused"), std::string::npos);
  EXPECT_FALSE(done.errors[3]);
  EXPECT_TRUE(has("good1"));
  EXPECT_FALSE(has("bad"));
  EXPECT_TRUE(has("good2"));
}

TEST_F(StoreWriter, RefusesSubmissionsBeyondTheQueueBound) {
  bsm::store_writer_options wopts;
  wopts.max_queued = 2;
  open({}, nullptr, wopts);
  gate g;
  completions done;
  g.close(*writer, done.add());
  ASSERT_FALSE(writer->submit(put("a"), done.add()));
  ASSERT_FALSE(writer->submit(put("b"), done.add()));
  auto err = writer->submit(put("c"), done.add());
  EXPECT_TRUE(bsm::is(err, bsm::errc::unavailable)) << bsm::render(err);
  EXPECT_NE(bsm::render(err).find("queue is full"), std::string::npos);
  g.release();
  ASSERT_TRUE(done.wait(3));
  EXPECT_TRUE(has("b"));
  EXPECT_FALSE(has("c"));
}

TEST_F(StoreWriter, DrainsItsQueueWhenDestroyed) {
  open();
  completions done;
  for (int i = 0; i < 100; ++i)
    ASSERT_FALSE(writer->submit(put("k" + std::to_string(i)), done.add()));
  writer.reset();
  EXPECT_EQ(done.errors.size(), 100u);
  EXPECT_TRUE(has("k99"));
}

TEST_F(StoreWriter, WritesHereOnlyWhenNoWriteWaitsForAnFsync) {
  open();
  EXPECT_TRUE(writer->writes_here());
  writer.reset();
  db.reset();
  bsm::store_options synced;
  synced.durability = bsm::durability::fsync;
  open(synced);
  EXPECT_FALSE(writer->writes_here());
}

TEST_F(StoreWriter, IsIdleOnlyWithNothingQueuedOrBeingWritten) {
  open();
  EXPECT_TRUE(writer->idle());
  completions done;
  gate g;
  g.close(*writer, done.add());
  EXPECT_FALSE(writer->idle());
  ASSERT_FALSE(writer->submit(put("queued"), done.add()));
  g.release();
  ASSERT_TRUE(done.wait(2));
  EXPECT_TRUE(bsm::test::poll_until([&] { return writer->idle(); }));
}

TEST_F(StoreWriter, AWriteHereIsOnDiskWhenItReturnsAndCounted) {
  open();
  auto* cf = db->handle(bsm::column::mailbox);
  EXPECT_FALSE(writer->write_here(put("here")));
  EXPECT_TRUE(has("here"));
  EXPECT_EQ(writer->writes(), 1u);
  EXPECT_EQ(writer->batches(), 1u);
  auto err = writer->write_here([cf](rocksdb::WriteBatch& batch) {
    auto st = batch.Put(cf, "half", "v");
    return st.ok() ? rocksdb::Status::InvalidArgument("refused") : st;
  });
  ASSERT_TRUE(err);
  EXPECT_NE(bsm::render(err).find("refused"), std::string::npos);
  EXPECT_FALSE(has("half"));
  EXPECT_EQ(writer->writes(), 1u);
}

TEST_F(StoreWriter, AFailedWriteHereIsUnavailableAndWritesNothing) {
  auto fs_ptr
    = std::make_shared<bsm::test::failing_fs>(rocksdb::FileSystem::Default());
  auto env = rocksdb::NewCompositeEnv(fs_ptr);
  open({}, env.get());
  *fs_ptr->full = true;
  auto err = writer->write_here(put("lost"));
  EXPECT_TRUE(bsm::is(err, bsm::errc::unavailable)) << bsm::render(err);
  *fs_ptr->full = false;
  EXPECT_FALSE(has("lost"));
  writer.reset();
  db.reset();
}

TEST_F(StoreWriter, ADestroyedWriterWaitsForAWriteHereThatRuns) {
  open();
  // The store outlives the writer, so the writer's end waits for a
  // write_here held inside its fill.
  std::promise<void> entered;
  std::promise<void> released;
  auto release_signal = released.get_future().share();
  auto* cf = db->handle(bsm::column::mailbox);
  auto here = std::async(std::launch::async, [&] {
    return writer->write_here([&, cf](rocksdb::WriteBatch& batch) {
      entered.set_value();
      release_signal.wait();
      return batch.Put(cf, "held", "v");
    });
  });
  ASSERT_EQ(entered.get_future().wait_for(10s), std::future_status::ready);
  auto* raw = writer.release();
  auto stopping = std::async(std::launch::async, [raw] { delete raw; });
  // The destructor waits for the running write.
  EXPECT_EQ(stopping.wait_for(200ms), std::future_status::timeout);
  released.set_value();
  EXPECT_FALSE(here.get());
  stopping.get();
  EXPECT_TRUE(has("held"));
}

} // namespace
