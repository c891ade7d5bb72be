#pragma once

// A fresh directory under the system temp dir for one test, removed with
// everything in it when the test is done.

#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

namespace bsm::test {

class temp_dir {
public:
  temp_dir() {
    std::random_device rd;
    path_
      = std::filesystem::temp_directory_path()
        / ("bsm-test-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }

  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const noexcept {
    return path_;
  }

private:
  std::filesystem::path path_;
};

} // namespace bsm::test
