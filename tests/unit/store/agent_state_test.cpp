#include "runtime/store/agent_state.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using bsm::in_agent_state;
using bsm::v1::STATE_FAMILY_MEMORY;
using bsm::v1::STATE_FAMILY_TOOL_LEDGER;
using bsm::v1::STATE_FAMILY_UNSPECIFIED;

std::string bytes(const char* data, size_t size) {
  return std::string{data, size};
}

TEST(AgentState, RangesCoverMemoryAndToolLedger) {
  auto ranges = bsm::agent_state_ranges("legal");
  ASSERT_EQ(ranges.size(), 4u);
  EXPECT_EQ(ranges[0].prefix, bytes("kv\0legal\0", 9));
  EXPECT_EQ(ranges[1].prefix, bytes("s\0legal\0", 8));
  EXPECT_EQ(ranges[2].prefix, bytes("st\0legal\0", 9));
  EXPECT_EQ(ranges[3].prefix, bytes("\x01tool\0legal/", 12));
  EXPECT_EQ(ranges[3].family, STATE_FAMILY_TOOL_LEDGER);
}

TEST(AgentState, KeysOfTheAgentBelongToIt) {
  EXPECT_TRUE(in_agent_state("legal", STATE_FAMILY_MEMORY,
                             bytes("kv\0legal\0colour", 15)));
  EXPECT_TRUE(in_agent_state("legal", STATE_FAMILY_MEMORY,
                             bytes("s\0legal\0s1\0\0\0\0\0\0\0\0\1", 19)));
  EXPECT_TRUE(in_agent_state("legal", STATE_FAMILY_MEMORY,
                             bytes("st\0legal\0s1\0turn-1", 18)));
  EXPECT_TRUE(in_agent_state("legal", STATE_FAMILY_TOOL_LEDGER,
                             bytes("\x01tool\0legal/t1/0/abc", 20)));
}

// An agent whose name begins with another's keeps its own keys: the
// separator after the name tells them apart.
TEST(AgentState, AnotherAgentsKeysDoNot) {
  EXPECT_FALSE(in_agent_state("legal", STATE_FAMILY_MEMORY,
                              bytes("kv\0legal2\0colour", 16)));
  EXPECT_FALSE(in_agent_state("legal", STATE_FAMILY_MEMORY,
                              bytes("kv\0architect\0colour", 19)));
  EXPECT_FALSE(in_agent_state("legal", STATE_FAMILY_TOOL_LEDGER,
                              bytes("\x01tool\0legal2/t1/0/abc", 21)));
}

TEST(AgentState, TheFamilyMustMatchTheRange) {
  auto kv = bytes("kv\0legal\0colour", 15);
  EXPECT_FALSE(in_agent_state("legal", STATE_FAMILY_TOOL_LEDGER, kv));
  EXPECT_FALSE(in_agent_state("legal", STATE_FAMILY_UNSPECIFIED, kv));
  EXPECT_FALSE(in_agent_state("legal", STATE_FAMILY_MEMORY,
                              bytes("\x01tool\0legal/t1", 14)));
}

TEST(AgentState, APrefixAloneNamesNothing) {
  EXPECT_FALSE(
    in_agent_state("legal", STATE_FAMILY_MEMORY, bytes("kv\0legal\0", 9)));
  EXPECT_FALSE(in_agent_state("legal", STATE_FAMILY_MEMORY, ""));
}

TEST(AgentState, FamiliesMapToColumns) {
  EXPECT_EQ(bsm::column_of(STATE_FAMILY_MEMORY), bsm::column::memory);
  EXPECT_EQ(bsm::column_of(STATE_FAMILY_TOOL_LEDGER), bsm::column::idempotency);
  EXPECT_FALSE(bsm::column_of(STATE_FAMILY_UNSPECIFIED));
}

} // namespace
