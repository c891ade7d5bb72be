#include "http_api/tree_format.hpp"

#include <gtest/gtest.h>

namespace {

namespace h = bsm::http_handlers;
using bsm::v1::TreeNode;

TreeNode child(const std::string& name, bsm::v1::ChildState state,
               uint32_t restarts) {
  TreeNode node;
  node.set_name(name);
  node.set_state(state);
  node.set_restarts(restarts);
  return node;
}

// root [one_for_one] { node_info, hub [rest_for_one] { hub/task_queue } }
TreeNode sample_tree() {
  TreeNode root;
  root.set_strategy(bsm::v1::RESTART_STRATEGY_ONE_FOR_ONE);
  *root.add_children() = child("node_info", bsm::v1::CHILD_STATE_RUNNING, 2);
  auto& hub = *root.add_children();
  hub = child("hub", bsm::v1::CHILD_STATE_RUNNING, 0);
  hub.set_strategy(bsm::v1::RESTART_STRATEGY_REST_FOR_ONE);
  *hub.add_children()
    = child("hub/task_queue", bsm::v1::CHILD_STATE_RESTARTING, 1);
  return root;
}

TEST(TreeFormat, TextIndentsChildrenAndShowsStrategyOnlyForSupervisors) {
  EXPECT_EQ(h::tree_text(sample_tree()),
            "root [one_for_one] running restarts=0\n"
            "  node_info running restarts=2\n"
            "  hub [rest_for_one] running restarts=0\n"
            "    hub/task_queue restarting restarts=1\n");
}

TEST(TreeFormat, JsonNamesTheSameValues) {
  auto doc = h::tree_json(sample_tree());
  EXPECT_EQ(doc["name"], "root");
  EXPECT_EQ(doc["strategy"], "one_for_one");
  EXPECT_EQ(doc["state"], "running");
  EXPECT_EQ(doc["restarts"], 0);
  ASSERT_EQ(doc["children"].size(), 2u);
  EXPECT_TRUE(doc["children"][0]["strategy"].is_null());
  EXPECT_EQ(doc["children"][0]["restarts"], 2);
  EXPECT_TRUE(doc["children"][0]["children"].empty());
  EXPECT_EQ(doc["children"][1]["children"][0]["state"], "restarting");
}

TEST(TreeFormat, TextOnlyWhenAskedForTextAndNotForJson) {
  EXPECT_TRUE(h::wants_text("text/plain"));
  EXPECT_TRUE(h::wants_text("Text/Plain; charset=utf-8"));
  EXPECT_FALSE(h::wants_text(""));
  EXPECT_FALSE(h::wants_text("*/*"));
  EXPECT_FALSE(h::wants_text("application/json"));
  EXPECT_FALSE(h::wants_text("application/json, text/plain"));
}

} // namespace
