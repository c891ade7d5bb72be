#include "agents/tools/tool_names.hpp"

#include <string>

#include <gtest/gtest.h>

using bsm::mcp::exposed_tool_name;
using bsm::mcp::is_valid_tool_name;
using bsm::mcp::split_tool_name;

TEST(McpToolNames, PrefixesToolWithServer) {
  EXPECT_EQ(exposed_tool_name("files", "read_file"), "files__read_file");
  EXPECT_EQ(exposed_tool_name("every", "get-sum"), "every__get-sum");
}

TEST(McpToolNames, ReplacesCharactersModelsMayNotUse) {
  EXPECT_EQ(exposed_tool_name("s", "bad name!"), "s__bad_name_");
  EXPECT_EQ(exposed_tool_name("s", "a.b/c"), "s__a_b_c");
  // Every byte of a multi-byte character is replaced.
  EXPECT_EQ(exposed_tool_name("s", "\xc3\xa9"), "s____");
}

TEST(McpToolNames, RefusesNamesOverSixtyFourCharacters) {
  auto fits = std::string(64 - 3, 'x');
  EXPECT_EQ(exposed_tool_name("s", fits), "s__" + fits);
  EXPECT_EQ(exposed_tool_name("s", fits + "x"), std::nullopt);
  EXPECT_EQ(exposed_tool_name("s", ""), std::nullopt);
}

TEST(McpToolNames, SplitsAtTheFirstSeparator) {
  auto parts = split_tool_name("files__read__all");
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->first, "files");
  EXPECT_EQ(parts->second, "read__all");
  EXPECT_FALSE(split_tool_name("echo"));
  EXPECT_FALSE(split_tool_name("__echo"));
  EXPECT_FALSE(split_tool_name("files__"));
}

TEST(McpToolNames, ValidatesOpenAiFunctionNames) {
  EXPECT_TRUE(is_valid_tool_name("a"));
  EXPECT_TRUE(is_valid_tool_name("files__read-file_2"));
  EXPECT_TRUE(is_valid_tool_name(std::string(64, 'a')));
  EXPECT_FALSE(is_valid_tool_name(std::string(65, 'a')));
  EXPECT_FALSE(is_valid_tool_name(""));
  EXPECT_FALSE(is_valid_tool_name("a b"));
  EXPECT_FALSE(is_valid_tool_name("a.b"));
}
