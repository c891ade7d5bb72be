#include "runtime/store/store.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <vector>

#include <rocksdb/file_system.h>
#include <rocksdb/write_batch.h>

#include "failing_fs.hpp"
#include "runtime/error.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;

using temp_store_dir = bsm::test::temp_dir;

void put(bsm::store& s, bsm::column cf, const std::string& key,
         const std::string& value) {
  rocksdb::WriteBatch batch;
  ASSERT_TRUE(batch.Put(s.handle(cf), key, value).ok());
  ASSERT_FALSE(s.write(batch));
}

std::string wal_of(const fs::path& dir) {
  for (const auto& entry : fs::directory_iterator{dir})
    if (entry.path().extension() == ".log")
      return entry.path().string();
  return {};
}

TEST(Store, KeepsEveryColumnFamilyAcrossReopen) {
  temp_store_dir dir;
  {
    auto s = bsm::store::open(dir.path(), {});
    ASSERT_TRUE(s) << bsm::render(s.error());
    for (auto cf : bsm::all_columns)
      put(**s, cf, "k", bsm::to_string(cf));
  }
  auto s = bsm::store::open(dir.path(), {});
  ASSERT_TRUE(s) << bsm::render(s.error());
  for (auto cf : bsm::all_columns) {
    auto value = (*s)->get(cf, "k");
    ASSERT_TRUE(value);
    ASSERT_TRUE(value->has_value());
    EXPECT_EQ(**value, bsm::to_string(cf));
  }
  auto missing = (*s)->get(bsm::column::meta, "nope");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
}

// A store written before `credentials` existed (the families of the first
// release) opens, keeps its data and gains the new family.
TEST(Store, OpensAStoreMadeBeforeTheCredentialsFamily) {
  temp_store_dir dir;
  {
    rocksdb::Options opts;
    opts.create_if_missing = true;
    opts.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const char* name :
         {rocksdb::kDefaultColumnFamilyName.c_str(), "mailbox", "memory",
          "idempotency", "dead_letter", "meta"})
      families.emplace_back(name, rocksdb::ColumnFamilyOptions{});
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(
      rocksdb::DB::Open(opts, dir.path().string(), families, &handles, &raw)
        .ok());
    std::unique_ptr<rocksdb::DB> db{raw};
    ASSERT_TRUE(db->Put({}, handles.back(), "k", "old meta").ok());
    for (auto* h : handles)
      ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  auto s = bsm::store::open(dir.path(), {});
  ASSERT_TRUE(s) << bsm::render(s.error());
  auto meta = (*s)->get(bsm::column::meta, "k");
  ASSERT_TRUE(meta && meta->has_value());
  EXPECT_EQ(**meta, "old meta");
  ASSERT_FALSE((*s)->put(bsm::column::credentials, "user/alice", "{}"));
  auto creds = (*s)->get(bsm::column::credentials, "user/alice");
  ASSERT_TRUE(creds && creds->has_value());
  EXPECT_EQ(**creds, "{}");
}

TEST(Store, MapsDurabilityToWriteOptions) {
  temp_store_dir dir;
  bsm::store_options opts;
  opts.durability = bsm::durability::none;
  {
    auto s = bsm::store::open(dir.path(), opts);
    ASSERT_TRUE(s);
    EXPECT_TRUE((*s)->write_options().disableWAL);
    EXPECT_FALSE((*s)->write_options().sync);
  }
  opts.durability = bsm::durability::os;
  {
    auto s = bsm::store::open(dir.path(), opts);
    ASSERT_TRUE(s);
    EXPECT_FALSE((*s)->write_options().disableWAL);
    EXPECT_FALSE((*s)->write_options().sync);
  }
  opts.durability = bsm::durability::fsync;
  auto s = bsm::store::open(dir.path(), opts);
  ASSERT_TRUE(s);
  EXPECT_TRUE((*s)->write_options().sync);
}

TEST(Store, ReportsADirHeldByAnotherOwnerWithItsPid) {
  temp_store_dir dir;
  auto first = bsm::store::open(dir.path(), {});
  ASSERT_TRUE(first);
  auto second = bsm::store::open(dir.path(), {});
  ASSERT_FALSE(second);
  EXPECT_TRUE(bsm::is(second.error(), bsm::errc::failed_precondition));
  auto text = bsm::render(second.error());
  EXPECT_NE(
    text.find("is held by another bsmd (pid " + std::to_string(getpid()) + ")"),
    std::string::npos)
    << text;
}

TEST(Store, RefusesADamagedWalNamingTheFileUnlessTolerant) {
  temp_store_dir dir;
  {
    auto s = bsm::store::open(dir.path(), {});
    ASSERT_TRUE(s);
    for (int i = 0; i < 100; ++i)
      put(**s, bsm::column::mailbox, "key" + std::to_string(i),
          std::string(100, 'v'));
  }
  auto wal = wal_of(dir.path());
  ASSERT_FALSE(wal.empty());
  ASSERT_GT(fs::file_size(wal), 4000u);
  {
    // Damage a record in the middle of the log.
    std::fstream f{wal, std::ios::in | std::ios::out | std::ios::binary};
    f.seekp(2000);
    std::string garbage(64, '\xAB');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  auto strict = bsm::store::open(dir.path(), {});
  ASSERT_FALSE(strict);
  EXPECT_TRUE(bsm::is(strict.error(), bsm::errc::failed_precondition));
  auto text = bsm::render(strict.error());
  EXPECT_NE(text.find(wal), std::string::npos) << text;
  EXPECT_NE(text.find("wal_recovery: tolerant"), std::string::npos) << text;
  bsm::store_options tolerant;
  tolerant.wal_recovery = bsm::wal_recovery::tolerant;
  auto recovered = bsm::store::open(dir.path(), tolerant);
  ASSERT_TRUE(recovered) << bsm::render(recovered.error());
  auto first = (*recovered)->get(bsm::column::mailbox, "key0");
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->has_value());
}

// kill -9 during a write() can leave the log's last record cut short. That
// write never returned, so nothing acknowledged is in it: even a strict
// store drops it and starts with every record before it.
TEST(Store, ACutLastRecordIsDroppedEvenWhenStrict) {
  temp_store_dir dir;
  {
    auto s = bsm::store::open(dir.path(), {});
    ASSERT_TRUE(s);
    for (int i = 0; i < 50; ++i)
      put(**s, bsm::column::mailbox, "key" + std::to_string(i),
          std::string(100, 'v'));
  }
  auto wal = wal_of(dir.path());
  ASSERT_FALSE(wal.empty());
  fs::resize_file(wal, fs::file_size(wal) - 37);
  auto strict = bsm::store::open(dir.path(), {});
  ASSERT_TRUE(strict) << bsm::render(strict.error());
  for (int i = 0; i < 49; ++i) {
    auto kept = (*strict)->get(bsm::column::mailbox, "key" + std::to_string(i));
    ASSERT_TRUE(kept);
    EXPECT_TRUE(kept->has_value()) << "key" << i;
  }
  auto cut = (*strict)->get(bsm::column::mailbox, "key49");
  ASSERT_TRUE(cut);
  EXPECT_FALSE(cut->has_value());
}

TEST(Store, FailedWriteIsUnavailableAndNotAcknowledged) {
  temp_store_dir dir;
  auto fs_ptr
    = std::make_shared<bsm::test::failing_fs>(rocksdb::FileSystem::Default());
  auto env = rocksdb::NewCompositeEnv(fs_ptr);
  auto s = bsm::store::open(dir.path(), {}, env.get());
  ASSERT_TRUE(s) << bsm::render(s.error());
  put(**s, bsm::column::mailbox, "before", "ok");
  *fs_ptr->full = true;
  rocksdb::WriteBatch batch;
  ASSERT_TRUE(batch.Put((*s)->handle(bsm::column::mailbox), "after", "x").ok());
  auto err = (*s)->write(batch);
  ASSERT_TRUE(err);
  EXPECT_TRUE(bsm::is(err, bsm::errc::unavailable)) << bsm::render(err);
  EXPECT_NE(bsm::render(err).find("no space"), std::string::npos)
    << bsm::render(err);
  auto after = (*s)->get(bsm::column::mailbox, "after");
  ASSERT_TRUE(after);
  EXPECT_FALSE(after->has_value());
}

} // namespace
