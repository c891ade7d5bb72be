#pragma once

// The fixture of the workflow tests (workflows_test.cpp,
// workflows_resume_test.cpp): a node whose `worker` agent asks a scripted
// upstream, so a test decides when a turn ends and counts what each step
// ran, and the requests and checks on runs those tests share.

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "scripted_upstream.hpp"
#include "test_node.hpp"

namespace bsm::test::workflows {

using nlohmann::json;

// A message step: a ping of this node's node_info actor, echoing `seq`.
inline json ping(const std::string& id, std::vector<std::string> needs = {},
                 const std::string& seq = "1") {
  return {{"id", id},
          {"type", "message"},
          {"needs", needs},
          {"actor", "node_info"},
          {"message", "bsm.v1.PingRequest"},
          {"payload", {{"sequence", seq}}}};
}

inline json agent(const std::string& id, const std::string& input,
                  std::vector<std::string> needs = {}) {
  return {{"id", id},
          {"type", "agent"},
          {"agent", "worker"},
          {"input", input},
          {"needs", needs}};
}

inline json approval(const std::string& id, json extra = json::object()) {
  json step{
    {"id", id}, {"type", "approval"}, {"prompt", "Approve ${input.doc}?"}};
  step.update(extra);
  return step;
}

} // namespace bsm::test::workflows

namespace bsm::test {

class WorkflowsTest : public ::testing::Test {
protected:
  using json = nlohmann::json;

  void SetUp() override {
    namespace fs = std::filesystem;
    auto agents = dir_.path() / "agents";
    fs::create_directories(agents);
    std::ofstream{agents / "worker.yaml"}
      << "name: worker\ndescription: Works for the tests.\n"
         "system_prompt: You work.\n"
         "model: {provider: openai, name: test-model}\n";
    agents_ = agents.string();
  }

  std::unique_ptr<test_node> start() {
    std::vector<std::string> sets{
      "agents.paths=[" + agents_ + "]", "openai.base_url=" + up_.base_url(),
      "openai.api_key=test", "openai.max_retries=0"};
    auto node
      = std::make_unique<test_node>(dir_.path(), dir_.path() / "data", sets);
    EXPECT_NE(node->port(), 0) << node->proc().err();
    return node;
  }

  static bsm::test::opt_response put(uint16_t port, const std::string& name,
                                     const json& steps) {
    // A braced list of one step is that step itself to nlohmann::json.
    json body{{"steps", steps.is_array() ? steps : json::array({steps})}};
    return bsm::test::http_exchange(
      port, bsm::test::make_request("PUT", "/v1/workflows/" + name,
                                    {{"Content-Type", "application/json"}},
                                    body.dump()));
  }

  static void define(uint16_t port, const std::string& name,
                     const json& steps) {
    auto res = put(port, name, steps);
    ASSERT_TRUE(res && res->status == 200) << describe(res);
  }

  static std::string run(uint16_t port, const std::string& name,
                         const json& input = json::object(),
                         const std::string& run_id = {}) {
    json body{{"input", input}};
    if (!run_id.empty())
      body["run_id"] = run_id;
    auto res = bsm::test::post_json(port, "/v1/workflows/" + name + "/runs",
                                    body.dump());
    EXPECT_TRUE(res && res->status == 202) << describe(res);
    if (!res || res->status != 202)
      return {};
    return bsm::test::body_of(*res).value("run_id", "");
  }

  static json get_run(uint16_t port, const std::string& id) {
    return bsm::test::get_body(port, "/v1/runs/" + id);
  }

  static json step_of(const json& run, const std::string& id) {
    if (run.contains("steps"))
      for (const auto& s : run["steps"])
        if (s.value("id", "") == id)
          return s;
    return json::object();
  }

  static bool run_reaches(uint16_t port, const std::string& id,
                          const std::string& state) {
    return bsm::test::poll_until(
      [&] { return get_run(port, id).value("state", "") == state; });
  }

  static bool step_reaches(uint16_t port, const std::string& run_id,
                           const std::string& step, const std::string& state) {
    return bsm::test::poll_until([&] {
      return step_of(get_run(port, run_id), step).value("state", "") == state;
    });
  }

  static bsm::test::opt_response signal(uint16_t port, const std::string& id,
                                        const std::string& name,
                                        const std::string& decision) {
    json body{{"payload", {{"decision", decision}}}};
    return bsm::test::post_json(port, "/v1/runs/" + id + "/signals/" + name,
                                body.dump());
  }

  // How often the upstream was asked with `input` as the last message.
  size_t asked(const std::string& input) const {
    size_t n = 0;
    for (const auto& seen : up_.seen()) {
      const auto& messages = seen.body["messages"];
      if (messages.is_array() && !messages.empty()
          && messages.back().value("content", "") == input)
        ++n;
    }
    return n;
  }

  bsm::test::temp_dir dir_;
  scripted_upstream up_;
  std::string agents_;
};

} // namespace bsm::test
