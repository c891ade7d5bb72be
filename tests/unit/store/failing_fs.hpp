#pragma once

// A RocksDB file system whose log writes fail on demand, like a full disk:
// the LevelDB way of testing I/O errors (inject the Env).

#include <atomic>
#include <memory>
#include <string>

#include <rocksdb/file_system.h>

namespace bsm::test {

/// A file system whose log writes fail on demand, like a full disk.
class failing_fs : public rocksdb::FileSystemWrapper {
public:
  explicit failing_fs(std::shared_ptr<rocksdb::FileSystem> base)
    : FileSystemWrapper(std::move(base)) {}

  const char* Name() const override {
    return "failing_fs";
  }

  rocksdb::IOStatus
  NewWritableFile(const std::string& name, const rocksdb::FileOptions& opts,
                  std::unique_ptr<rocksdb::FSWritableFile>* result,
                  rocksdb::IODebugContext* dbg) override {
    auto st = target()->NewWritableFile(name, opts, result, dbg);
    if (st.ok() && name.size() > 4 && name.substr(name.size() - 4) == ".log")
      *result = std::make_unique<failing_file>(std::move(*result), full);
    return st;
  }

  std::shared_ptr<std::atomic<bool>> full
    = std::make_shared<std::atomic<bool>>(false);

private:
  class failing_file : public rocksdb::FSWritableFileOwnerWrapper {
  public:
    failing_file(std::unique_ptr<rocksdb::FSWritableFile> file,
                 std::shared_ptr<std::atomic<bool>> full)
      : FSWritableFileOwnerWrapper(std::move(file)), full_(std::move(full)) {}

    rocksdb::IOStatus Append(const rocksdb::Slice& data,
                             const rocksdb::IOOptions& opts,
                             rocksdb::IODebugContext* dbg) override {
      if (*full_)
        return rocksdb::IOStatus::IOError("injected: no space left on device");
      return FSWritableFileOwnerWrapper::Append(data, opts, dbg);
    }

    rocksdb::IOStatus Append(const rocksdb::Slice& data,
                             const rocksdb::IOOptions& opts,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override {
      if (*full_)
        return rocksdb::IOStatus::IOError("injected: no space left on device");
      return FSWritableFileOwnerWrapper::Append(data, opts, info, dbg);
    }

  private:
    std::shared_ptr<std::atomic<bool>> full_;
  };
};

} // namespace bsm::test
