#pragma once

// A real bsmd for integration tests, and the requests and checks most HTTP
// tests share.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http_client.hpp"
#include "process.hpp"
#include "tests/common/poll.hpp"

namespace bsm::test {

using header_list = std::vector<std::pair<std::string, std::string>>;
using opt_response = std::optional<http_response>;

/// A bsmd on `data_dir` with its bridge and cluster port on 127.0.0.1:0 and
/// `sets` as further --set overrides. port() is 0 if it never listened.
class test_node {
public:
  test_node(const std::filesystem::path& work,
            const std::filesystem::path& data_dir,
            const std::vector<std::string>& sets,
            const std::string& binary = BSMD_PATH,
            const std::string& config
            = std::string{BSM_SOURCE_DIR} + "/config/node.yaml") {
    std::filesystem::create_directories(data_dir);
    std::filesystem::remove(data_dir / "ports.json");
    proc_ = std::make_unique<process>(
      bsm::test::node_argv(binary, config, data_dir, sets), work);
    if (auto addr = bsm::test::await_http_address(data_dir, *proc_))
      port_
        = static_cast<uint16_t>(std::stoi(addr->substr(addr->rfind(':') + 1)));
    if (port_ != 0)
      await_ready();
  }

  uint16_t port() const noexcept {
    return port_;
  }

  process& proc() noexcept {
    return *proc_;
  }

  bool running() {
    return !proc_->wait(std::chrono::milliseconds{0}).has_value();
  }

  /// SIGKILL, and waits for the process to go.
  void kill() {
    proc_->signal(SIGKILL);
    proc_->wait(std::chrono::seconds{10});
  }

  /// SIGTERM, then the exit code (nullopt if it did not exit in `timeout`).
  std::optional<int> stop(std::chrono::milliseconds timeout
                          = std::chrono::seconds{20}) {
    proc_->signal(SIGTERM);
    return proc_->wait(timeout);
  }

private:
  // The tree may trail the listening socket by a moment. A node that never
  // gets ready fails the test's first request.
  void await_ready() {
    (void)poll_until(
      [this] {
        auto res = bsm::test::http_exchange(
          port_, make_request("GET", "/readyz", {{"Connection", "close"}}),
          std::chrono::seconds{2});
        return res && res->status == 200;
      },
      generous_deadline, std::chrono::milliseconds{50});
  }

  std::unique_ptr<process> proc_;
  uint16_t port_ = 0;
};

/// A fixture whose suite shares one node started with `Sets::get()` (the
/// --set overrides).
template <class Sets>
class configured_node : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir;
    node_ = new test_node{dir_->path(), dir_->path() / "data", Sets::get()};
  }

  static void TearDownTestSuite() {
    if (node_ != nullptr)
      node_->stop();
    delete node_;
    delete dir_;
    node_ = nullptr;
    dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(node_->port(), 0) << "bsmd did not listen; stderr:\n"
                                << node_->proc().err();
  }

  static uint16_t port() {
    return node_->port();
  }

  static inline temp_dir* dir_ = nullptr;
  static inline test_node* node_ = nullptr;
};

/// The default configuration.
struct no_sets {
  static std::vector<std::string> get() {
    return {};
  }
};

inline opt_response get(uint16_t port, const std::string& target,
                        header_list headers = {}) {
  return bsm::test::http_exchange(port, make_request("GET", target, headers));
}

inline opt_response post_json(uint16_t port, const std::string& target,
                              const std::string& body,
                              header_list headers = {}) {
  headers.emplace_back("Content-Type", "application/json");
  return bsm::test::http_exchange(port,
                                  make_request("POST", target, headers, body));
}

inline nlohmann::json body_of(const http_response& res) {
  return nlohmann::json::parse(res.body, nullptr, false);
}

/// The JSON body of GET `target` when it answers 200, else {} (for
/// polling a resource until it reads as wanted).
inline nlohmann::json get_body(uint16_t port, const std::string& target) {
  auto res = get(port, target);
  return res && res->status == 200 ? body_of(*res) : nlohmann::json::object();
}

inline std::string describe(const opt_response& res) {
  if (!res)
    return "no response";
  return std::to_string(res->status) + " " + res->body;
}

} // namespace bsm::test
