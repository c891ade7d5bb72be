#include "runtime/logging/logger.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "protocols/caf_types.hpp"
#include "runtime/error.hpp"
#include "runtime/metrics/instrumented.hpp"
#include "runtime/system_config.hpp"

namespace {

std::filesystem::path temp_file(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / "bsm-logger-test";
  std::filesystem::create_directories(dir);
  auto path = dir / name;
  std::filesystem::remove(path);
  return path;
}

std::vector<std::string> lines_of(const std::filesystem::path& path) {
  std::ifstream in{path};
  std::vector<std::string> result;
  for (std::string line; std::getline(in, line);)
    result.push_back(line);
  return result;
}

TEST(NodeLogger, WritesOneJsonObjectPerLineWithEscapedText) {
  bsm::logging_options opts;
  opts.format = bsm::log_format::json;
  opts.file = temp_file("json.log");
  auto logger = bsm::make_node_logger(opts, "node-x");
  ASSERT_TRUE(logger) << bsm::render(logger.error());
  logger->log->info("quote \" backslash \\ newline \n end");
  logger->log->warn("invalid utf8 \xff here");
  logger = caf::error{}; // joins the writer thread: everything is written
  auto lines = lines_of(opts.file);
  ASSERT_EQ(lines.size(), 2u);
  auto first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["msg"], "quote \" backslash \\ newline \n end");
  EXPECT_EQ(first["level"], "info");
  EXPECT_EQ(first["node"], "node-x");
  EXPECT_EQ(first["time"].get<std::string>().back(), 'Z');
  auto second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(second["level"], "warning");
}

struct quiet_state {
  static constexpr const char* name = "quiet";
};

caf::behavior quiet(bsm::stateful_actor<quiet_state>*) {
  return {[](int x) {
    return x;
  }};
}

TEST(NodeLogger, UnexpectedMessagesAreLoggedWithTheirComponentNotPrinted) {
  bsm::logging_options opts;
  opts.format = bsm::log_format::json;
  opts.file = temp_file("unexpected.log");
  auto logger = bsm::make_node_logger(opts, "node-x");
  ASSERT_TRUE(logger) << bsm::render(logger.error());
  {
    bsm::system_config cfg{{}, nullptr, logger->log};
    caf::actor_system sys{cfg};
    auto actor = sys.spawn(quiet);
    caf::scoped_actor self{sys};
    caf::error err;
    bsm::v1::AuthTokenRequest login;
    login.set_password("secret-value");
    self->request(actor, caf::infinite, login)
      .receive([](int) {}, [&](caf::error& e) { err = std::move(e); });
    // Answered as CAF's own handler does.
    EXPECT_EQ(err, caf::sec::unexpected_message);
    self->send_exit(actor, caf::exit_reason::kill);
  }
  logger = caf::error{}; // joins the writer thread: everything is written
  auto lines = lines_of(opts.file);
  ASSERT_EQ(lines.size(), 1u);
  auto line = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(line["component"], "quiet");
  EXPECT_EQ(line["logger"], "bsmd");
  EXPECT_EQ(line["level"], "warning");
  auto msg = line["msg"].get<std::string>();
  EXPECT_NE(msg.find("unexpected message (bsm.v1.AuthTokenRequest)"),
            std::string::npos)
    << msg;
  // Only the type: the content may carry a secret.
  EXPECT_EQ(lines[0].find("secret-value"), std::string::npos) << lines[0];
}

TEST(NodeLogger, HonoursTheConfiguredLevel) {
  bsm::logging_options opts;
  opts.level = "warn";
  opts.file = temp_file("level.log");
  auto logger = bsm::make_node_logger(opts, "node-x");
  ASSERT_TRUE(logger);
  logger->log->info("hidden");
  logger->log->error("shown");
  logger = caf::error{};
  auto lines = lines_of(opts.file);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("shown"), std::string::npos);
  EXPECT_NE(lines[0].find("error"), std::string::npos);
}

TEST(NodeLogger, IsNotSpdlogsGlobalDefault) {
  bsm::logging_options opts;
  opts.file = temp_file("global.log");
  auto logger = bsm::make_node_logger(opts, "node-x");
  ASSERT_TRUE(logger);
  EXPECT_NE(spdlog::default_logger().get(), logger->log.get());
  EXPECT_EQ(spdlog::get("bsmd"), nullptr);
}

TEST(NodeLogger, UnwritableFileIsUnavailable) {
  bsm::logging_options opts;
  opts.file = "/proc/bsm-cannot-write-here/x.log";
  auto logger = bsm::make_node_logger(opts, "node-x");
  ASSERT_FALSE(logger);
  EXPECT_TRUE(bsm::is(logger.error(), bsm::errc::unavailable));
}

TEST(NodeLogger, UnknownLevelIsInvalidArgument) {
  bsm::logging_options opts;
  opts.level = "loud";
  auto logger = bsm::make_node_logger(opts, "node-x");
  ASSERT_FALSE(logger);
  EXPECT_TRUE(bsm::is(logger.error(), bsm::errc::invalid_argument));
}

} // namespace
