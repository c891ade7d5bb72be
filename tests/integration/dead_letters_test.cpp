// Messages that cannot be delivered are visible and recoverable (API.md,
// "Message injection"), against real bsmd processes: the types each actor
// declares, a tell refused at send, dead letters listed, retried, deleted
// and purged, their bound, and CAF's unexpected-message line going through
// the node's logger instead of standard output.

#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "http_client.hpp"
#include "process.hpp"
#include "test_node.hpp"
#include "tests/common/poll.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

using bsm::test::body_of;
using bsm::test::describe;
using bsm::test::get;
using bsm::test::make_request;
using bsm::test::opt_response;
using bsm::test::poll_until;
using bsm::test::post_json;
using bsm::test::temp_dir;
using bsm::test::test_node;
using json = nlohmann::json;

// The HTTP bridge handles no message of its own: a PingRequest told to it
// is delivered, not handled, and becomes a dead letter.
const std::string sink = "http_bridge";

opt_response call(uint16_t port, const std::string& method,
                  const std::string& target, const std::string& body = {},
                  bsm::test::header_list headers = {}) {
  if (!body.empty())
    headers.emplace_back("Content-Type", "application/json");
  return bsm::test::http_exchange(port,
                                  make_request(method, target, headers, body));
}

opt_response tell(uint16_t port, const std::string& actor,
                  const std::string& type, const std::string& mode = "tell") {
  return post_json(
    port, "/v1/actors/" + actor + "/messages",
    json{{"type", type}, {"payload", json::object()}, {"mode", mode}}.dump());
}

json letters(uint16_t port, const std::string& query) {
  auto res = get(port, "/v1/deadletters" + query);
  if (!res || res->status != 200)
    return json::array();
  return body_of(*res)["dead_letters"];
}

// Waits until `actor` has `n` dead letters; returns them.
json await_letters(uint16_t port, const std::string& actor, size_t n) {
  json result;
  (void)poll_until([&] {
    result = letters(port, "?actor=" + actor);
    return result.size() == n;
  });
  return result;
}

// The value of the series whose line starts with `prefix`, or -1.
double metric(uint16_t port, const std::string& prefix) {
  auto res = get(port, "/metrics");
  if (!res)
    return -1;
  std::istringstream lines{res->body};
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(prefix + " ", 0) == 0)
      return std::stod(line.substr(prefix.size() + 1));
  return -1;
}

::testing::AssertionResult is_error(const opt_response& res, int status,
                                    const std::string& code) {
  if (!res)
    return ::testing::AssertionFailure() << "no response";
  auto doc = body_of(*res);
  if (res->status != status || !doc.contains("error")
      || doc["error"]["code"] != code)
    return ::testing::AssertionFailure()
           << "want " << status << " " << code << ", got " << describe(res);
  return ::testing::AssertionSuccess();
}

class DeadLetters : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir;
    node_ = new test_node{
      dir_->path(), dir_->path() / "data", {"logging.format=json"}};
  }

  static void TearDownTestSuite() {
    if (node_ != nullptr)
      node_->stop();
    delete node_;
    delete dir_;
    node_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(port(), 0) << "bsmd did not listen; stderr:\n"
                         << node_->proc().err();
    // Each test starts without dead letters.
    auto res = call(port(), "DELETE", "/v1/deadletters?actor=" + sink);
    ASSERT_TRUE(res && res->status == 200) << describe(res);
  }

  static uint16_t port() {
    return node_->port();
  }

  // Tells `n` PingRequests to the sink and waits for their dead letters.
  json bury(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      auto res = tell(port(), sink, "bsm.v1.PingRequest");
      EXPECT_TRUE(res && res->status == 202) << describe(res);
    }
    return await_letters(port(), sink, n);
  }

  static inline temp_dir* dir_ = nullptr;
  static inline test_node* node_ = nullptr;
};

TEST_F(DeadLetters, ActorsShowTheTypesTheyHandle) {
  auto res = get(port(), "/v1/actors");
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  std::map<std::string, json> handles;
  // Kept: a range over a member of a temporary would dangle.
  auto doc = body_of(*res);
  for (const auto& a : doc["actors"])
    handles[a["name"].get<std::string>()] = a["handles"];
  EXPECT_EQ(handles["node_info"],
            json::array({"bsm.v1.PingRequest", "bsm.v1.NodeInfoRequest"}));
  EXPECT_EQ(
    handles["agents/legal"],
    json::array({"bsm.v1.ChatRequest", "bsm.v1.TurnCancelRequest",
                 "bsm.v1.QuestionAskRequest", "bsm.v1.QuestionListRequest",
                 "bsm.v1.QuestionAnswerRequest", "bsm.v1.ToolProgress"}));
  EXPECT_EQ(handles[sink], json::array());
}

TEST_F(DeadLetters, ATypeTheTargetDoesNotHandleIsRefusedAtSend) {
  for (const char* mode : {"tell", "ask"}) {
    auto res = tell(port(), "node_info", "bsm.v1.ChatRequest", mode);
    ASSERT_TRUE(is_error(res, 400, "invalid_argument")) << mode;
    auto message = body_of(*res)["error"]["message"].get<std::string>();
    EXPECT_NE(message.find("'node_info'"), std::string::npos) << message;
    EXPECT_NE(message.find("bsm.v1.ChatRequest"), std::string::npos) << message;
  }
  auto binary = bsm::test::http_exchange(
    port(), make_request("POST", "/v1/actors/node_info/messages",
                         {{"Content-Type", "application/x-protobuf"},
                          {"X-Bsm-Type", "bsm.v1.ChatRequest"},
                          {"X-Bsm-Mode", "tell"}}));
  EXPECT_TRUE(is_error(binary, 400, "invalid_argument"));
  EXPECT_TRUE(letters(port(), "?actor=node_info").empty());
}

TEST_F(DeadLetters, AnUnhandledMessageIsADeadLetterLoggedNotPrinted) {
  auto sent = tell(port(), sink, "bsm.v1.PingRequest");
  ASSERT_TRUE(sent && sent->status == 202) << describe(sent);
  auto list = await_letters(port(), sink, 1);
  ASSERT_EQ(list.size(), 1u);
  const auto& x = list[0];
  EXPECT_EQ(x["actor"], sink);
  EXPECT_EQ(x["type"], "bsm.v1.PingRequest");
  EXPECT_EQ(x["reason"], "type_not_handled");
  EXPECT_EQ(x["attempts"], 1);
  EXPECT_EQ(x["message_id"], body_of(*sent)["message_id"]);
  EXPECT_EQ(x["node"], "node-a");
  EXPECT_FALSE(x["first_error"].get<std::string>().empty());
  EXPECT_EQ(x["first_error"], x["last_error"]);
  EXPECT_EQ(x["time"].get<std::string>().back(), 'Z');
  EXPECT_GE(metric(port(), "bsm_dead_letters_total{actor=\"http_bridge\","
                           "reason=\"type_not_handled\"}"),
            1.0);
  // CAF's handler would have printed "*** unexpected message" to stdout.
  bool logged = poll_until([&] {
    std::istringstream lines{node_->proc().err()};
    for (std::string line; std::getline(lines, line);) {
      auto doc = json::parse(line, nullptr, false);
      if (doc.is_object() && doc["component"] == sink
          && doc["msg"].get<std::string>().find(
               "unexpected message (bsm.v1.PingRequest)")
               != std::string::npos)
        return true;
    }
    return false;
  });
  EXPECT_TRUE(logged) << node_->proc().err();
  EXPECT_EQ(node_->proc().out().find("unexpected message"), std::string::npos)
    << node_->proc().out();
}

TEST_F(DeadLetters, ARetryAppendsOnceAndASecondRetryFindsNothing) {
  auto first = bury(1);
  ASSERT_EQ(first.size(), 1u);
  auto id = first[0]["id"].get<std::string>();
  auto retry = call(port(), "POST", "/v1/deadletters/" + id + "/retry");
  ASSERT_TRUE(retry && retry->status == 202) << describe(retry);
  EXPECT_EQ(body_of(*retry)["message_id"], first[0]["message_id"]);
  // Once: the letter is gone, so a second retry finds nothing.
  EXPECT_TRUE(is_error(call(port(), "POST", "/v1/deadletters/" + id + "/retry"),
                       404, "not_found"));
  // Delivered again, it dies again: one new letter, the old one gone.
  json now;
  ASSERT_TRUE(poll_until([&] {
    now = letters(port(), "?actor=" + sink);
    return now.size() == 1 && now[0]["id"] != id;
  }))
    << now.dump();
  EXPECT_EQ(now[0]["message_id"], first[0]["message_id"]);
  EXPECT_EQ(now[0]["attempts"], 1);
  EXPECT_TRUE(
    is_error(call(port(), "POST", "/v1/deadletters/" + sink + "~999999/retry"),
             404, "not_found"));
  EXPECT_TRUE(is_error(call(port(), "POST", "/v1/deadletters/nonsense/retry"),
                       400, "invalid_argument"));
}

TEST_F(DeadLetters, DeleteOneOrPurgeAnActor) {
  auto list = bury(2);
  ASSERT_EQ(list.size(), 2u);
  auto one = "/v1/deadletters/" + list[0]["id"].get<std::string>();
  auto res = call(port(), "DELETE", one);
  ASSERT_TRUE(res && res->status == 204) << describe(res);
  EXPECT_TRUE(is_error(call(port(), "DELETE", one), 404, "not_found"));
  EXPECT_TRUE(is_error(call(port(), "DELETE", "/v1/deadletters"), 400,
                       "invalid_argument"));
  auto purge = call(port(), "DELETE", "/v1/deadletters?actor=" + sink);
  ASSERT_TRUE(purge && purge->status == 200) << describe(purge);
  EXPECT_EQ(body_of(*purge)["purged"], 1);
  EXPECT_TRUE(letters(port(), "?actor=" + sink).empty());
}

TEST_F(DeadLetters, ListIsPagedAfterAnIdExclusive) {
  auto all = bury(3);
  ASSERT_EQ(all.size(), 3u);
  auto res = get(port(), "/v1/deadletters?actor=" + sink + "&limit=2");
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  auto page = body_of(*res);
  ASSERT_EQ(page["dead_letters"].size(), 2u);
  EXPECT_EQ(page["dead_letters"][0]["id"], all[0]["id"]);
  EXPECT_EQ(page["next_after"], all[1]["id"]);
  res = get(port(), "/v1/deadletters?actor=" + sink + "&limit=2&after="
                      + page["next_after"].get<std::string>());
  ASSERT_TRUE(res && res->status == 200) << describe(res);
  page = body_of(*res);
  ASSERT_EQ(page["dead_letters"].size(), 1u);
  EXPECT_EQ(page["dead_letters"][0]["id"], all[2]["id"]);
  EXPECT_TRUE(page["next_after"].is_null());
  EXPECT_TRUE(
    is_error(get(port(), "/v1/deadletters?limit=x"), 400, "invalid_argument"));
}

TEST(DeadLetterBound, TheOldestBeyondTheBoundAreDroppedAndCounted) {
  temp_dir dir;
  test_node node{
    dir.path(), dir.path() / "data", {"mailbox.dead_letter_max=2"}};
  ASSERT_NE(node.port(), 0) << node.proc().err();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto res = tell(node.port(), sink, "bsm.v1.PingRequest");
    ASSERT_TRUE(res && res->status == 202) << describe(res);
    ids.push_back(body_of(*res)["message_id"].get<std::string>());
    // One at a time, so the oldest is known.
    ASSERT_TRUE(poll_until([&] {
      return metric(node.port(), "bsm_mailbox_dead_letters_total") == i + 1;
    }));
  }
  json kept;
  ASSERT_TRUE(poll_until([&] {
    kept = letters(node.port(), "?actor=" + sink);
    return kept.size() == 2;
  }))
    << kept.dump();
  EXPECT_EQ(kept[0]["message_id"], ids[1]);
  EXPECT_EQ(kept[1]["message_id"], ids[2]);
  EXPECT_EQ(metric(node.port(), "bsm_mailbox_dead_letters_dropped_total"), 1);
}

} // namespace

// bsmctl covers the dead-letter routes: list, retry, delete, purge.
TEST_F(DeadLetters, BsmctlListsRetriesAndPurgesThem) {
  auto url = "http://127.0.0.1:" + std::to_string(port());
  auto ctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {BSMCTL_PATH, "--url", url});
    return bsm::test::run(std::move(args), dir_->path());
  };
  auto buried = bury(2);
  ASSERT_EQ(buried.size(), 2u);
  auto listed = ctl({"deadletters", "list", "--actor", sink});
  ASSERT_EQ(listed.code, 0) << listed.err;
  auto doc = json::parse(listed.out, nullptr, false);
  ASSERT_EQ(doc["dead_letters"].size(), 2u) << listed.out;
  auto table = ctl({"deadletters", "list", "--actor", sink, "-o", "table"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_EQ(table.out.rfind("ID ", 0), 0u) << table.out;
  EXPECT_NE(table.out.find("type_not_handled"), std::string::npos) << table.out;
  auto id = buried[0]["id"].get<std::string>();
  auto retried = ctl({"deadletters", "retry", id});
  ASSERT_EQ(retried.code, 0) << retried.err;
  EXPECT_EQ(json::parse(retried.out, nullptr, false)["message_id"],
            buried[0]["message_id"])
    << retried.out;
  auto removed
    = ctl({"deadletters", "delete", buried[1]["id"].get<std::string>()});
  EXPECT_EQ(removed.code, 0) << removed.err;
  auto unknown = ctl({"deadletters", "delete", sink + "~999999"});
  EXPECT_EQ(unknown.code, 1) << unknown.out;
  // The retried one dies again; the purge takes it.
  await_letters(port(), sink, 1);
  auto purged = ctl({"deadletters", "purge", sink});
  ASSERT_EQ(purged.code, 0) << purged.err;
  EXPECT_EQ(json::parse(purged.out, nullptr, false)["purged"], 1) << purged.out;
  EXPECT_EQ(ctl({"deadletters", "retry"}).code, 2);
}
