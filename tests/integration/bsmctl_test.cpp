// bsmctl and the Python injection example against a real bsmd with its
// HTTP bridge on a free loopback port: exit codes, message injection (tell
// and ask), batches, listings, the event stream, agents, chat and sessions,
// the cluster view, reload, help and the bash completion.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "process.hpp"
#include "tests/common/poll.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::test::process;
using bsm::test::run;
using bsm::test::run_result;
using bsm::test::temp_dir;
using json = nlohmann::json;

const std::string bsmctl = BSMCTL_PATH;
const std::string source_dir = BSM_SOURCE_DIR;

/// One bsmd with its bridge on 127.0.0.1:0 for a whole suite.
class BsmctlAgainstNode : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir;
    node_ = new process{
      bsm::test::node_argv(BSMD_PATH, config_file(), data_dir()), dir_->path()};
    url_ = new std::string{await_http_url()};
  }

  static void TearDownTestSuite() {
    if (node_ != nullptr) {
      node_->signal(SIGTERM);
      node_->wait(20s);
    }
    delete url_;
    delete node_;
    delete dir_;
    url_ = nullptr;
    node_ = nullptr;
    dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_FALSE(url_->empty()) << "no HTTP address; bsmd stderr:\n"
                                << node_->err();
  }

  static std::string data_dir() {
    return (dir_->path() / "data").string();
  }

  static std::string await_http_url() {
    auto address = bsm::test::await_http_address(data_dir(), *node_);
    return address ? "http://" + *address : std::string{};
  }

  static std::string config_file() {
    return source_dir + "/config/node.yaml";
  }

  /// Runs bsmctl with --url of the node first.
  static run_result ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {bsmctl, "--url", *url_});
    return run(std::move(args), dir_->path());
  }

  /// Runs bsmctl with `input` on its stdin (through a shell redirect, as
  /// process.hpp gives children /dev/null).
  static run_result ctl_with_input(const std::vector<std::string>& args,
                                   const std::string& input) {
    auto file = dir_->path() / ("stdin" + std::to_string(++inputs_));
    std::ofstream{file} << input;
    std::string cmd = "exec '" + bsmctl + "' --url '" + *url_ + "'";
    for (const auto& arg : args)
      cmd += " '" + arg + "'";
    cmd += " < '" + file.string() + "'";
    return run({"/bin/sh", "-c", cmd}, dir_->path());
  }

  static json parse_line(const std::string& text) {
    auto doc = json::parse(text, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << "not JSON: " << text;
    return doc;
  }

  static inline temp_dir* dir_ = nullptr;
  static inline process* node_ = nullptr;
  static inline std::string* url_ = nullptr;
  static inline int inputs_ = 0;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

TEST_F(BsmctlAgainstNode, HealthIsOkOnAReadyNode) {
  // Ready may trail the listening socket by a moment: poll.
  bsm::test::run_result res;
  (void)bsm::test::poll_until(
    [&] {
      res = ctl({"health"});
      return res.code != 1;
    },
    bsm::test::generous_deadline, 100ms);
  EXPECT_EQ(res.code, 0) << res.err;
  auto doc = parse_line(res.out);
  EXPECT_EQ(doc["healthz"]["status"], "ok") << res.out;
  EXPECT_EQ(doc["ready"], true) << res.out;
  auto table = ctl({"health", "--output", "table"});
  EXPECT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("healthz  200"), std::string::npos) << table.out;
}

TEST_F(BsmctlAgainstNode, AskPingGetsThePingResponse) {
  auto res
    = ctl({"send", "node_info", "PingRequest", R"({"sequence":"7"})", "--ask"});
  ASSERT_EQ(res.code, 0) << res.err;
  auto doc = parse_line(res.out);
  EXPECT_EQ(doc["type"], "bsm.v1.PingResponse") << res.out;
  // uint64 is a string in the protobuf JSON mapping.
  EXPECT_EQ(doc["payload"]["sequence"], "7") << res.out;
}

TEST_F(BsmctlAgainstNode, ToldPutIsFoundByALaterAsk) {
  auto put = ctl({"send", "memory", "MemoryPutRequest",
                  R"({"agent":"ctl","key":"k1","value":"aGVsbG8="})",
                  "--idempotency-key", "ctl-put-k1"});
  ASSERT_EQ(put.code, 0) << put.err;
  auto ack = parse_line(put.out);
  EXPECT_TRUE(ack.contains("message_id")) << put.out;
  EXPECT_EQ(ack["durable"], true) << put.out;
  // A tell is processed after its 202: poll briefly.
  json got;
  (void)bsm::test::poll_until(
    [&] {
      auto res
        = ctl_with_input({"send", "memory", "MemoryGetRequest", "-", "--ask"},
                         R"({"agent":"ctl","key":"k1"})");
      got = res.code == 0 ? parse_line(res.out) : json{{"error", res.err}};
      return got.is_object() && got["payload"].is_object()
             && got["payload"].value("found", false);
    },
    bsm::test::generous_deadline, 100ms);
  EXPECT_EQ(got["type"], "bsm.v1.MemoryGetResponse") << got;
  EXPECT_EQ(got["payload"].value("found", false), true) << got;
  EXPECT_EQ(got["payload"].value("value", ""), "aGVsbG8=") << got;
}

TEST_F(BsmctlAgainstNode, UnknownActorExitsOneWithTheServersMessage) {
  auto res = ctl({"send", "no_such_actor", "PingRequest", "--ask"});
  EXPECT_EQ(res.code, 1) << res.out;
  EXPECT_NE(res.err.find("not_found"), std::string::npos) << res.err;
  EXPECT_NE(res.err.find("HTTP 404"), std::string::npos) << res.err;
  EXPECT_TRUE(res.out.empty()) << res.out;
}

TEST_F(BsmctlAgainstNode, BadJsonArgumentIsAUsageError) {
  auto res = ctl({"send", "memory", "MemoryPutRequest", "{not json"});
  EXPECT_EQ(res.code, 2);
  EXPECT_NE(res.err.find("not valid JSON"), std::string::npos) << res.err;
}

TEST_F(BsmctlAgainstNode, BatchPrintsOneResultPerLineAndFailsForABadLine) {
  auto input
    = std::string{}
      + R"({"actor":"node_info","type":"PingRequest","payload":{"sequence":"1"},"mode":"ask"})"
        "\n"
      + R"({"actor":"memory","type":"MemoryPutRequest","payload":{"agent":"ctl","key":"b","value":"eA=="},"idempotency_key":"ctl-batch-b"})"
        "\n\n"
      + "{this is not json\n"
      + R"({"actor":"node_info","type":"bsm.v1.PingRequest","payload":{"sequence":"3"},"mode":"ask"})"
        "\n";
  auto res = ctl_with_input({"send", "--batch"}, input);
  EXPECT_EQ(res.code, 1) << res.err;
  auto lines = lines_of(res.out);
  ASSERT_EQ(lines.size(), 4u) << res.out;
  auto first = parse_line(lines[0]);
  EXPECT_EQ(first["line"], 1);
  EXPECT_EQ(first["status"], 200);
  EXPECT_EQ(first["response"]["payload"]["sequence"], "1") << lines[0];
  auto second = parse_line(lines[1]);
  EXPECT_EQ(second["line"], 2);
  EXPECT_EQ(second["status"], 202) << lines[1];
  auto bad = parse_line(lines[2]);
  EXPECT_EQ(bad["line"], 4);
  EXPECT_EQ(bad["error"]["code"], "invalid_argument") << lines[2];
  auto last = parse_line(lines[3]);
  EXPECT_EQ(last["line"], 5);
  EXPECT_EQ(last["response"]["payload"]["sequence"], "3") << lines[3];
}

TEST_F(BsmctlAgainstNode, ActorsListsTheNamedActors) {
  auto res = ctl({"actors"});
  ASSERT_EQ(res.code, 0) << res.err;
  std::vector<std::string> names;
  auto doc = parse_line(res.out);
  for (const auto& actor : doc["actors"])
    names.push_back(actor["name"].get<std::string>());
  EXPECT_NE(std::find(names.begin(), names.end(), "memory"), names.end())
    << res.out;
  EXPECT_NE(std::find(names.begin(), names.end(), "node_info"), names.end())
    << res.out;
  auto table = ctl({"actors", "--output", "table"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_EQ(table.out.rfind("NAME", 0), 0u) << table.out;
  EXPECT_NE(table.out.find("MAILBOX_DEPTH"), std::string::npos);
  EXPECT_NE(table.out.find("\nmemory "), std::string::npos) << table.out;
}

TEST_F(BsmctlAgainstNode, TreeTableIndentsTheChildren) {
  auto res = ctl({"tree", "--output", "table"});
  ASSERT_EQ(res.code, 0) << res.err;
  auto lines = lines_of(res.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0].rfind("root [one_for_one] running restarts=", 0), 0u)
    << res.out;
  EXPECT_NE(res.out.find("\n  memory running restarts="), std::string::npos)
    << res.out;
  EXPECT_NE(res.out.find("\n  node_info running restarts="), std::string::npos)
    << res.out;
}

// Events published before a stream opens are not replayed, so the test
// publishes (a PublishRequest told to the bus, "events") until the stream
// has seen one.
TEST_F(BsmctlAgainstNode, EventsStopsAfterCountEvents) {
  process stream{{bsmctl, "--url", *url_, "events", "bsmctl.#", "--count", "1"},
                 dir_->path()};
  std::optional<int> code;
  for (int i = 0; i < 100 && !code; ++i) {
    auto pub = ctl({"send", "events", "PublishRequest",
                    R"({"event":{"topic":"bsmctl.test","source":"bsmctl_test",)"
                    R"("data_json":"{\"n\":)"
                      + std::to_string(i) + R"(}"}})"});
    ASSERT_EQ(pub.code, 0) << pub.err;
    code = stream.wait(100ms);
  }
  ASSERT_TRUE(code) << "no event arrived; stderr: " << stream.err();
  EXPECT_EQ(*code, 0) << stream.err();
  auto lines = lines_of(stream.out());
  ASSERT_EQ(lines.size(), 1u) << stream.out();
  auto event = parse_line(lines[0]);
  EXPECT_EQ(event["topic"], "bsmctl.test") << lines[0];
  EXPECT_EQ(event["source"], "bsmctl_test") << lines[0];
  EXPECT_TRUE(event["data"].contains("n")) << lines[0];
}

TEST_F(BsmctlAgainstNode, EventsWithACountGiveUpAtTheirTimeout) {
  // No one publishes on this topic: the stream stays idle.
  auto res
    = ctl({"events", "bsmctl.nobody.#", "--count", "1", "--timeout", "300ms"});
  EXPECT_EQ(res.code, 4) << res.err;
  EXPECT_TRUE(res.out.empty()) << res.out;
  EXPECT_NE(res.err.find("0 events within 300 ms"), std::string::npos)
    << res.err;
}

TEST_F(BsmctlAgainstNode, AgentsListShowsTheSeedAgents) {
  auto res = ctl({"agents", "list"});
  ASSERT_EQ(res.code, 0) << res.err;
  auto doc = parse_line(res.out);
  std::vector<std::string> names;
  for (const auto& agent : doc["agents"])
    names.push_back(agent["name"].get<std::string>());
  EXPECT_NE(std::find(names.begin(), names.end(), "runner"), names.end())
    << res.out;
  auto table = ctl({"agents", "list", "-o", "table"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_EQ(table.out.rfind("NAME", 0), 0u) << table.out;
  EXPECT_NE(table.out.find("\nrunner "), std::string::npos) << table.out;
  auto show = ctl({"agents", "show", "runner", "-o", "yaml"});
  ASSERT_EQ(show.code, 0) << show.err;
  EXPECT_NE(show.out.find("name: runner\n"), std::string::npos) << show.out;
  auto missing = ctl({"agents", "show", "no_such_agent"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("HTTP 404"), std::string::npos) << missing.err;
}

TEST_F(BsmctlAgainstNode, ChatKeepsItsSessionAndSessionsShowIt) {
  auto first = ctl({"agents", "chat", "runner", "remember colour is teal"});
  ASSERT_EQ(first.code, 0) << first.err;
  auto answer = parse_line(first.out);
  ASSERT_TRUE(answer["session_id"].is_string()) << first.out;
  auto session = answer["session_id"].get<std::string>();
  EXPECT_FALSE(answer.value("output", "").empty()) << first.out;
  // The input from stdin, in the same session; a table prints the output
  // and the session id.
  auto second = ctl_with_input(
    {"agents", "chat", "runner", "-", "--session", session, "-o", "table"},
    "recall colour\n");
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_NE(second.out.find("\nsession: " + session + "\n"), std::string::npos)
    << second.out;
  EXPECT_NE(second.out.find("teal"), std::string::npos) << second.out;
  // A table streams the turn: its tool call shows as it happens.
  EXPECT_NE(second.out.find("[memory_get {\"key\":\"colour\"}]\n"),
            std::string::npos)
    << second.out;

  auto list = ctl({"sessions", "list", "runner", "--limit", "1000"});
  ASSERT_EQ(list.code, 0) << list.err;
  bool listed = false;
  auto sessions = parse_line(list.out)["sessions"];
  for (const auto& s : sessions)
    listed = listed || s["session_id"] == session;
  EXPECT_TRUE(listed) << list.out;
  auto show = ctl({"sessions", "show", "runner", session});
  ASSERT_EQ(show.code, 0) << show.err;
  auto turns = parse_line(show.out)["turns"];
  ASSERT_GE(turns.size(), 4u) << show.out;
  EXPECT_EQ(turns[0]["role"], "user") << show.out;
  EXPECT_EQ(turns[0]["content"], "remember colour is teal") << show.out;
  auto page = ctl(
    {"sessions", "show", "runner", session, "--limit", "1", "--after", "1"});
  ASSERT_EQ(page.code, 0) << page.err;
  auto paged = parse_line(page.out)["turns"];
  ASSERT_EQ(paged.size(), 1u) << page.out;
  EXPECT_EQ(paged[0], turns[1]) << page.out;
}

TEST_F(BsmctlAgainstNode, ClusterShowsThisNode) {
  auto res = ctl({"cluster"});
  ASSERT_EQ(res.code, 0) << res.err;
  auto view = parse_line(res.out);
  ASSERT_TRUE(view["self"].is_string()) << res.out;
  auto table = ctl({"cluster", "members", "-o", "table"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_EQ(table.out.rfind("NAME", 0), 0u) << table.out;
  EXPECT_NE(table.out.find(view["self"].get<std::string>() + " *"),
            std::string::npos)
    << table.out;
}

TEST_F(BsmctlAgainstNode, YamlOutputIsOneDocument) {
  auto res = ctl({"health", "-o", "yaml"});
  ASSERT_EQ(res.code, 0) << res.err;
  EXPECT_NE(res.out.find("healthz:\n"), std::string::npos) << res.out;
  EXPECT_NE(res.out.find("ready: true"), std::string::npos) << res.out;
}

TEST_F(BsmctlAgainstNode, PythonExampleInjectsAndReadsBack) {
  auto res = run({"/usr/bin/env", "python3",
                  source_dir + "/docs/examples/inject_messages.py", "--url",
                  *url_, "--count", "3"},
                 dir_->path(), 60s);
  EXPECT_EQ(res.code, 0) << res.out << res.err;
  EXPECT_NE(res.out.find("get inject-example/key-2"), std::string::npos)
    << res.out;
}

/// A loopback port that was free a moment ago and has no listener now.
uint16_t closed_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST(Bsmctl, ClosedPortExitsThreeAsUnreachable) {
  temp_dir dir;
  auto url = "http://127.0.0.1:" + std::to_string(closed_port());
  for (const char* command : {"health", "actors"}) {
    auto res = run({bsmctl, "--url", url, command}, dir.path());
    EXPECT_EQ(res.code, 3) << command;
    EXPECT_NE(res.err.find("cannot reach " + url), std::string::npos)
      << res.err;
  }
}

TEST(Bsmctl, StrictArgumentsExitTwo) {
  temp_dir dir;
  for (std::vector<std::string> args :
       {std::vector<std::string>{bsmctl, "actors", "--frobnicate"},
        {bsmctl, "--url"},
        {bsmctl, "--output", "xml", "tree"},
        {bsmctl, "events", "--count", "zero"}}) {
    auto res = run(args, dir.path());
    EXPECT_EQ(res.code, 2) << args[1];
    EXPECT_NE(res.err.find("bsmctl: "), std::string::npos) << res.err;
  }
}

TEST(Bsmctl, HelpOfACommandShowsItsExamples) {
  temp_dir dir;
  for (std::vector<std::string> args :
       {std::vector<std::string>{bsmctl, "help", "agents", "chat"},
        {bsmctl, "agents", "chat", "--help"}}) {
    auto res = run(args, dir.path());
    EXPECT_EQ(res.code, 0) << res.err;
    EXPECT_NE(res.out.find("--session"), std::string::npos) << res.out;
    EXPECT_NE(res.out.find("Examples:"), std::string::npos) << res.out;
  }
  auto top = run({bsmctl, "--help"}, dir.path());
  EXPECT_EQ(top.code, 0);
  EXPECT_NE(top.out.find("Exit codes:"), std::string::npos) << top.out;
}

TEST(Bsmctl, BashCompletesItsCommands) {
  temp_dir dir;
  auto script = "source <('" + bsmctl
                + "' completion bash) && complete -p "
                  "bsmctl && COMP_WORDS=(bsmctl agents c) COMP_CWORD=2 "
                  "&& _bsmctl && echo \"${COMPREPLY[*]}\"";
  auto res = run({"/bin/bash", "-c", script}, dir.path());
  ASSERT_EQ(res.code, 0) << res.err;
  EXPECT_NE(res.out.find("complete -F _bsmctl bsmctl"), std::string::npos)
    << res.out;
  EXPECT_NE(res.out.find("\nchat"), std::string::npos) << res.out;
}

/// A node with agents from a directory of the test's own.
TEST(Bsmctl, ReloadPicksUpAChangedAgentFile) {
  temp_dir dir;
  auto agents = dir.path() / "agents";
  std::filesystem::create_directories(agents);
  auto write = [&](const std::string& file, const std::string& text) {
    std::ofstream{agents / file, std::ios::trunc} << text;
  };
  auto agent = [](const std::string& name, const std::string& description) {
    return "name: " + name + "\ndescription: " + description
           + "\nsystem_prompt: You are a test agent.\n";
  };
  write("alpha.yaml", agent("alpha", "First."));
  auto data = dir.path() / "data";
  process node{bsm::test::node_argv(BSMD_PATH, source_dir + "/config/node.yaml",
                                    data,
                                    {"agents.paths=[" + agents.string() + "]"}),
               dir.path()};
  auto address = bsm::test::await_http_address(data, node);
  ASSERT_TRUE(address) << node.err();
  auto ctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {bsmctl, "--url", "http://" + *address});
    return run(std::move(args), dir.path());
  };
  auto description = [&](const std::string& name) {
    auto res = ctl({"agents", "show", name});
    if (res.code != 0)
      return std::string{};
    auto doc = json::parse(res.out, nullptr, false);
    return doc.is_object() ? doc.value("description", "") : "";
  };
  ASSERT_TRUE(
    bsm::test::poll_until([&] { return description("alpha") == "First."; }))
    << node.err();

  write("alpha.yaml", agent("alpha", "Changed."));
  write("beta.yaml", agent("beta", "New."));
  auto res = ctl({"reload"});
  ASSERT_EQ(res.code, 0) << res.err << node.err();
  auto answer = json::parse(res.out, nullptr, false);
  EXPECT_EQ(answer["reload"], "done") << res.out;
  EXPECT_EQ(answer["added"], json::array({"beta"})) << res.out;
  EXPECT_EQ(answer["updated"], json::array({"alpha"})) << res.out;
  EXPECT_EQ(answer["errors"], json::array()) << res.out;
  EXPECT_EQ(description("alpha"), "Changed.");
  // A new agent starts after the answer: wait for it.
  EXPECT_TRUE(
    bsm::test::poll_until([&] { return description("beta") == "New."; }));

  // A broken file: the node says why and keeps what it had.
  write("broken.yaml", "name: [not, a, name]\n");
  auto broken = ctl({"reload", "-o", "table"});
  EXPECT_EQ(broken.code, 1) << broken.out;
  EXPECT_NE(broken.out.find("errors"), std::string::npos) << broken.out;
  EXPECT_NE(broken.err.find("broken.yaml"), std::string::npos) << broken.err;
  EXPECT_EQ(description("alpha"), "Changed.");
  node.signal(SIGTERM);
  EXPECT_EQ(node.wait(20s), 0);
}

} // namespace
