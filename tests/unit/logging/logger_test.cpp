#include "runtime/logging/logger.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "runtime/error.hpp"

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
