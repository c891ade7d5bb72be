// Workflow definitions from files (workflows.paths) read again on SIGHUP
// and POST /v1/admin/reload: a changed file is a new version that new runs
// use while a running run keeps its own; an unchanged one is not stored
// again; a broken file changes nothing and is named in the answer.

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_node.hpp"

namespace {

namespace fs = std::filesystem;
using bsm::test::body_of;
using bsm::test::describe;
using bsm::test::test_node;
using nlohmann::json;

// A chain of `steps` pings of this node's node_info actor, the first one
// an approval when `gated`.
std::string definition(int steps, bool gated = false) {
  std::string yaml = "name: flow\nsteps:\n";
  std::string last;
  if (gated) {
    yaml += "  - id: gate\n    type: approval\n    prompt: Go?\n";
    last = "gate";
  }
  for (int i = 1; i <= steps; ++i) {
    auto id = "s" + std::to_string(i);
    yaml += "  - id: " + id
            + "\n    type: message\n    actor: node_info\n"
              "    message: bsm.v1.PingRequest\n"
              "    payload: {sequence: \""
            + std::to_string(i) + "\"}\n";
    if (!last.empty())
      yaml += "    needs: [" + last + "]\n";
    last = id;
  }
  return yaml;
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream{path} << text;
}

json reload(uint16_t port) {
  auto res = bsm::test::post_json(port, "/v1/admin/reload", "");
  EXPECT_TRUE(res && res->status == 200) << describe(res);
  return res && res->status == 200 ? body_of(*res) : json::object();
}

bool names(const json& list, const std::string& name) {
  if (list.is_array())
    for (const auto& item : list)
      if (item == name)
        return true;
  return false;
}

std::string start_run(uint16_t port) {
  auto res
    = bsm::test::post_json(port, "/v1/workflows/flow/runs", R"({"input":{}})");
  EXPECT_TRUE(res && res->status == 202) << describe(res);
  return res && res->status == 202 ? body_of(*res).value("run_id", "") : "";
}

TEST(WorkflowFiles, AReloadStoresChangedFilesAsNewVersions) {
  bsm::test::temp_dir dir;
  auto flows = dir.path() / "workflows";
  fs::create_directories(flows);
  write_file(flows / "flow.yaml", definition(1, true));
  test_node node{dir.path(),
                 dir.path() / "data",
                 {"workflows.paths=[" + flows.string() + "]"}};
  auto port = node.port();
  ASSERT_NE(port, 0) << node.proc().err();
  auto first
    = bsm::test::get_body(port, "/v1/workflows/flow").value("version", "");
  ASSERT_FALSE(first.empty())
    << bsm::test::get_body(port, "/v1/workflows/flow");
  // A run of the first version waits at its gate.
  auto waiting = start_run(port);
  ASSERT_TRUE(bsm::test::poll_until([&] {
    return bsm::test::get_body(port, "/v1/runs/" + waiting).value("state", "")
           == "running";
  }));

  // Nothing changed: nothing stored.
  auto same = reload(port);
  EXPECT_FALSE(names(same["updated"], "workflows/flow")) << same;
  EXPECT_FALSE(names(same["added"], "workflows/flow")) << same;
  EXPECT_TRUE(same["errors"].empty()) << same;
  EXPECT_EQ(
    bsm::test::get_body(port, "/v1/workflows/flow").value("version", ""),
    first);

  // Changed, and SIGHUP: a new version, which new runs use.
  write_file(flows / "flow.yaml", definition(3));
  node.proc().signal(SIGHUP);
  std::string second;
  ASSERT_TRUE(bsm::test::poll_until([&] {
    second
      = bsm::test::get_body(port, "/v1/workflows/flow").value("version", "");
    return !second.empty() && second != first;
  }))
    << node.proc().err();
  auto fresh = start_run(port);
  ASSERT_TRUE(bsm::test::poll_until([&] {
    return bsm::test::get_body(port, "/v1/runs/" + fresh).value("state", "")
           == "succeeded";
  }))
    << bsm::test::get_body(port, "/v1/runs/" + fresh);
  auto done = bsm::test::get_body(port, "/v1/runs/" + fresh);
  EXPECT_EQ(done.value("version", ""), second);
  EXPECT_EQ(done["steps"].size(), 3u) << done;
  // The waiting run keeps its version and its steps.
  EXPECT_EQ(
    bsm::test::get_body(port, "/v1/runs/" + waiting).value("version", ""),
    first);
  auto approved
    = bsm::test::post_json(port, "/v1/runs/" + waiting + "/signals/gate",
                           R"({"payload":{"decision":"approve"}})");
  ASSERT_TRUE(approved && approved->status == 200) << describe(approved);
  EXPECT_TRUE(bsm::test::poll_until([&] {
    return bsm::test::get_body(port, "/v1/runs/" + waiting).value("state", "")
           == "succeeded";
  }))
    << bsm::test::get_body(port, "/v1/runs/" + waiting);
  auto kept = bsm::test::get_body(port, "/v1/runs/" + waiting);
  EXPECT_EQ(kept.value("version", ""), first) << kept;
  EXPECT_EQ(kept["steps"].size(), 2u) << kept; // gate and s1

  // A new file is added; a broken one changes nothing and is named.
  auto other = definition(1);
  other.replace(other.find("name: flow"), 10, "name: other");
  write_file(flows / "other.yaml", other);
  auto added = reload(port);
  EXPECT_TRUE(names(added["added"], "workflows/other")) << added;
  write_file(flows / "flow.yaml", definition(2)
                                    + "  - id: s3\n    type: sleep\n"
                                      "    duration: forever\n");
  auto broken = reload(port);
  ASSERT_EQ(broken["errors"].size(), 1u) << broken;
  auto line = broken["errors"][0].get<std::string>();
  EXPECT_NE(line.find("flow.yaml"), std::string::npos) << line;
  EXPECT_NE(line.find("s3"), std::string::npos) << line;
  EXPECT_EQ(
    bsm::test::get_body(port, "/v1/workflows/flow").value("version", ""),
    second);
  EXPECT_EQ(node.stop(), 0);
}

} // namespace
