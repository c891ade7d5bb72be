// The Redis membership table against a real redis-server, started per test
// on a free loopback port without persistence: announce, list, expiry by
// liveness TTL, stop, leave, databases, unparsable records, and surviving a
// Redis restart.

#include "runtime/cluster/redis_membership.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include "runtime/error.hpp"
#include "tests/common/poll.hpp"
#include "tests/common/redis_server.hpp"

namespace {

using namespace std::chrono_literals;
using bsm::errc;
using bsm::cluster::parse_redis_url;
using bsm::cluster::redis_membership;
using bsm::cluster::redis_url;
using bsm::test::free_port;
using bsm::test::redis_process;
using bsm::test::redis_server_path;
using bsm::v1::MemberRecord;
using clock_type = std::chrono::steady_clock;

MemberRecord make_record(const std::string& name, uint64_t incarnation = 1) {
  MemberRecord rec;
  rec.set_name(name);
  rec.set_cluster_address("127.0.0.1:7100");
  rec.set_http_address("127.0.0.1:8080");
  rec.set_incarnation(incarnation);
  rec.add_names("agent/alpha");
  rec.add_names("agent/beta");
  rec.set_agents(2);
  return rec;
}

std::vector<std::string> names_of(const std::vector<MemberRecord>& recs) {
  std::vector<std::string> result;
  for (const auto& rec : recs)
    result.push_back(rec.name());
  return result;
}

// -- URL parsing ----------------------------------------------------------

TEST(RedisUrl, ParsesHostPortAndDatabase) {
  auto url = parse_redis_url("redis://10.0.0.5:6380/2");
  ASSERT_TRUE(url) << bsm::render(url.error());
  EXPECT_EQ(url->host, "10.0.0.5");
  EXPECT_EQ(url->port, 6380);
  EXPECT_EQ(url->db, 2);
  EXPECT_EQ(to_string(*url), "10.0.0.5:6380");
}

TEST(RedisUrl, DefaultsToPort6379AndDatabaseZero) {
  for (auto text : {"redis://cache.local", "redis://cache.local:6379/0"}) {
    auto url = parse_redis_url(text);
    ASSERT_TRUE(url) << text << ": " << bsm::render(url.error());
    EXPECT_EQ(url->host, "cache.local");
    EXPECT_EQ(url->port, 6379);
    EXPECT_EQ(url->db, 0);
  }
}

TEST(RedisUrl, TakesIpv6HostsInBrackets) {
  auto url = parse_redis_url("redis://[::1]:7000/1");
  ASSERT_TRUE(url) << bsm::render(url.error());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 7000);
  EXPECT_EQ(url->db, 1);
  EXPECT_EQ(to_string(*url), "[::1]:7000");
  auto bare = parse_redis_url("redis://[fe80::2]");
  ASSERT_TRUE(bare) << bsm::render(bare.error());
  EXPECT_EQ(bare->host, "fe80::2");
  EXPECT_EQ(bare->port, 6379);
}

TEST(RedisUrl, RejectsMalformedUrlsNamingTheProblem) {
  struct bad_case {
    const char* url;
    const char* says;
  };
  for (auto [text, says] : {
         bad_case{"http://x", "not a redis:// URL"},
         bad_case{"rediss://x", "not a redis:// URL"},
         bad_case{"redis://", "bad host ''"},
         bad_case{"redis://:6379", "bad host ''"},
         bad_case{"redis://h:99999", "port '99999'"},
         bad_case{"redis://h:0", "port '0'"},
         bad_case{"redis://h:", "port ''"},
         bad_case{"redis://h:12ab", "port '12ab'"},
         bad_case{"redis://h:1/x", "database 'x'"},
         bad_case{"redis://h:1/-1", "database '-1'"},
         bad_case{"redis://[::1", "bad host '[:'"},
         bad_case{"redis://[::1]x", "bad host '[::1]x'"},
         bad_case{"redis://user:pw@h:1", "bad host 'user:pw@h'"},
         bad_case{"redis://h/", "database ''"},
         bad_case{"redis://my host", "bad host 'my host'"},
         bad_case{"redis://[zz::1]", "bad host '[zz::1]'"},
       }) {
    auto url = parse_redis_url(text);
    ASSERT_FALSE(url) << text << " parsed";
    EXPECT_TRUE(bsm::is(url.error(), errc::invalid_argument)) << text;
    EXPECT_NE(bsm::render(url.error()).find(says), std::string::npos)
      << text << " -> " << bsm::render(url.error());
  }
}

// -- connecting without a server -------------------------------------------

TEST(RedisMembershipConnect, FailsFastWithUnavailableWhenNothingListens) {
  auto port = free_port();
  ASSERT_NE(port, 0);
  // The refusal ends the attempt, not the connect timeout.
  auto client = redis_membership::connect({"127.0.0.1", port, 0}, 10min);
  ASSERT_FALSE(client);
  EXPECT_TRUE(bsm::is(client.error(), errc::unavailable))
    << bsm::render(client.error());
  EXPECT_NE(
    bsm::render(client.error()).find("127.0.0.1:" + std::to_string(port)),
    std::string::npos)
    << bsm::render(client.error());
  EXPECT_NE(bsm::render(client.error()).find("Connection refused"),
            std::string::npos)
    << bsm::render(client.error());
}

TEST(RedisMembershipConnect, RejectsTimeoutBelowOneMillisecond) {
  auto client = redis_membership::connect({"127.0.0.1", 1, 0}, 0ms);
  ASSERT_FALSE(client);
  EXPECT_TRUE(bsm::is(client.error(), errc::invalid_argument));
}

// -- against a real redis-server -------------------------------------------

class RedisMembership : public ::testing::Test {
protected:
  void SetUp() override {
    if (::access(redis_server_path, X_OK) != 0)
      GTEST_SKIP() << redis_server_path << " is missing (apt install "
                   << "redis-server)";
    port_ = free_port();
    ASSERT_NE(port_, 0);
    start_server();
  }

  void start_server() {
    std::string why;
    server_ = redis_process::start(port_, why);
    ASSERT_NE(server_, nullptr) << why;
  }

  redis_url url(int db = 0) const {
    return {"127.0.0.1", port_, db};
  }

  std::unique_ptr<redis_membership> connect_ok(int db = 0) {
    auto client = redis_membership::connect(url(db), 1s);
    if (!client) {
      ADD_FAILURE() << bsm::render(client.error());
      return nullptr;
    }
    return std::move(*client);
  }

  /// Runs one command on a connection of its own and returns the reply as
  /// text: a string or status as is, an integer in decimal, nil as
  /// "(nil)", an error as "ERR: ...".
  std::string raw(const std::vector<std::string>& args) const {
    timeval tv{1, 0};
    auto* ctx = redisConnectWithTimeout("127.0.0.1", port_, tv);
    if (ctx == nullptr || ctx->err != 0) {
      if (ctx != nullptr)
        redisFree(ctx);
      return "cannot connect";
    }
    std::vector<const char*> argv;
    std::vector<size_t> argvlen;
    for (const auto& arg : args) {
      argv.push_back(arg.data());
      argvlen.push_back(arg.size());
    }
    auto* r = static_cast<redisReply*>(redisCommandArgv(
      ctx, static_cast<int>(argv.size()), argv.data(), argvlen.data()));
    std::string result = "no reply";
    if (r != nullptr) {
      switch (r->type) {
        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS: result.assign(r->str, r->len); break;
        case REDIS_REPLY_INTEGER: result = std::to_string(r->integer); break;
        case REDIS_REPLY_NIL: result = "(nil)"; break;
        case REDIS_REPLY_ERROR: result = "ERR: " + std::string{r->str}; break;
        default: result = "type " + std::to_string(r->type);
      }
      freeReplyObject(r);
    }
    redisFree(ctx);
    return result;
  }

  uint16_t port_ = 0;
  std::unique_ptr<redis_process> server_;
};

TEST_F(RedisMembership, AnnouncedRecordStaysAndOnlyItsLivenessKeyHasATtl) {
  auto node = connect_ok();
  ASSERT_NE(node, nullptr);
  auto rec = make_record("node-a", 7);
  auto err = node->announce(rec, 10s);
  ASSERT_FALSE(err) << bsm::render(err);
  auto members = node->members();
  ASSERT_TRUE(members) << bsm::render(members.error());
  ASSERT_EQ(members->size(), 1u);
  auto listed = rec;
  listed.set_state(bsm::v1::MEMBER_STATE_UP);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
    members->front(), listed))
    << members->front().DebugString();
  auto json = raw({"GET", "bsm:member:node-a"});
  EXPECT_NE(json.find("\"cluster_address\":\"127.0.0.1:7100\""),
            std::string::npos)
    << json;
  EXPECT_NE(json.find("\"http_address\""), std::string::npos) << json;
  EXPECT_EQ(json.find("\"state\""), std::string::npos)
    << "a node's view of itself is not stored: " << json;
  EXPECT_EQ(raw({"PTTL", "bsm:member:node-a"}), "-1")
    << "membership does not expire";
  auto pttl = std::stoll(raw({"PTTL", "bsm:alive:node-a"}));
  EXPECT_GT(pttl, 5000);
  EXPECT_LE(pttl, 10000);
  EXPECT_EQ(raw({"SISMEMBER", "bsm:members", "node-a"}), "1");
}

TEST_F(RedisMembership, ListsEveryNodeSortedByName) {
  auto a = connect_ok();
  auto b = connect_ok();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_FALSE(b->announce(make_record("node-b"), 10s));
  ASSERT_FALSE(a->announce(make_record("node-a"), 10s));
  for (auto* node : {a.get(), b.get()}) {
    auto members = node->members();
    ASSERT_TRUE(members) << bsm::render(members.error());
    EXPECT_EQ(names_of(*members),
              (std::vector<std::string>{"node-a", "node-b"}));
  }
}

TEST_F(RedisMembership, AnnounceAgainReplacesTheRecord) {
  auto node = connect_ok();
  ASSERT_NE(node, nullptr);
  ASSERT_FALSE(node->announce(make_record("node-a", 1), 10s));
  ASSERT_FALSE(node->announce(make_record("node-a", 2), 10s));
  auto members = node->members();
  ASSERT_TRUE(members) << bsm::render(members.error());
  ASSERT_EQ(members->size(), 1u);
  EXPECT_EQ(members->front().incarnation(), 2u);
}

TEST_F(RedisMembership, ASilentNodeIsDownAfterItsTtlButStaysAMember) {
  auto a = connect_ok();
  auto b = connect_ok();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  auto start = clock_type::now();
  ASSERT_FALSE(a->announce(make_record("node-a"), 300ms));
  ASSERT_FALSE(b->announce(make_record("node-b"), 10s));
  auto members = b->members();
  EXPECT_TRUE(bsm::test::poll_until(
    [&] {
      members = b->members();
      return !members || members->empty()
             || members->front().state() != bsm::v1::MEMBER_STATE_UP;
    },
    bsm::test::generous_deadline, 25ms));
  // Down, but not before its TTL (a slow machine only looks later).
  EXPECT_GE(clock_type::now() - start, 290ms);
  ASSERT_TRUE(members) << bsm::render(members.error());
  // A crashed node keeps its place: its agents wait for it.
  ASSERT_EQ(names_of(*members), (std::vector<std::string>{"node-a", "node-b"}));
  EXPECT_EQ((*members)[0].state(), bsm::v1::MEMBER_STATE_DOWN);
  EXPECT_EQ((*members)[1].state(), bsm::v1::MEMBER_STATE_UP);
  EXPECT_EQ(raw({"SISMEMBER", "bsm:members", "node-a"}), "1");
  ASSERT_FALSE(a->announce(make_record("node-a", 2), 10s));
  members = b->members();
  ASSERT_TRUE(members) << bsm::render(members.error());
  EXPECT_EQ((*members)[0].state(), bsm::v1::MEMBER_STATE_UP)
    << "its next run is up again";
}

TEST_F(RedisMembership, StopMarksTheNodeDownAtOnceAndKeepsItsRecord) {
  auto node = connect_ok();
  ASSERT_NE(node, nullptr);
  ASSERT_FALSE(node->announce(make_record("node-a"), 10s));
  ASSERT_FALSE(node->announce(make_record("node-b"), 10s));
  auto err = node->stop("node-a");
  ASSERT_FALSE(err) << bsm::render(err);
  auto members = node->members();
  ASSERT_TRUE(members) << bsm::render(members.error());
  ASSERT_EQ(names_of(*members), (std::vector<std::string>{"node-a", "node-b"}));
  EXPECT_EQ((*members)[0].state(), bsm::v1::MEMBER_STATE_DOWN);
  EXPECT_EQ((*members)[1].state(), bsm::v1::MEMBER_STATE_UP);
  EXPECT_EQ(raw({"EXISTS", "bsm:alive:node-a"}), "0");
  EXPECT_FALSE(node->stop("node-a")) << "stopping twice must be fine";
}

TEST_F(RedisMembership, LeaveRemovesTheNodeAtOnce) {
  auto node = connect_ok();
  ASSERT_NE(node, nullptr);
  ASSERT_FALSE(node->announce(make_record("node-a"), 10s));
  ASSERT_FALSE(node->announce(make_record("node-b"), 10s));
  auto err = node->leave("node-a");
  ASSERT_FALSE(err) << bsm::render(err);
  auto members = node->members();
  ASSERT_TRUE(members) << bsm::render(members.error());
  EXPECT_EQ(names_of(*members), std::vector<std::string>{"node-b"});
  EXPECT_EQ(raw({"EXISTS", "bsm:member:node-a"}), "0");
  EXPECT_EQ(raw({"EXISTS", "bsm:alive:node-a"}), "0");
  EXPECT_EQ(raw({"SISMEMBER", "bsm:members", "node-a"}), "0");
  EXPECT_FALSE(node->leave("node-a")) << "leaving twice must be fine";
}

TEST_F(RedisMembership, ANameWhoseRecordIsGoneLeavesTheSet) {
  auto node = connect_ok();
  ASSERT_NE(node, nullptr);
  ASSERT_FALSE(node->announce(make_record("node-a"), 10s));
  ASSERT_EQ(raw({"SADD", "bsm:members", "ghost"}), "1");
  auto members = node->members();
  ASSERT_TRUE(members) << bsm::render(members.error());
  EXPECT_EQ(names_of(*members), std::vector<std::string>{"node-a"});
  EXPECT_EQ(raw({"SISMEMBER", "bsm:members", "ghost"}), "0");
}

TEST_F(RedisMembership, SkipsRecordsThatDoNotParseAndIgnoresUnknownFields) {
  auto node = connect_ok();
  ASSERT_NE(node, nullptr);
  ASSERT_FALSE(node->announce(make_record("node-a"), 10s));
  ASSERT_EQ(raw({"SET", "bsm:member:broken", "{not json"}), "OK");
  ASSERT_EQ(raw({"SET", "bsm:member:newer",
                 R"({"name":"newer","incarnation":"3","future_field":1})"}),
            "OK");
  ASSERT_EQ(raw({"SADD", "bsm:members", "broken", "newer"}), "2");
  auto members = node->members();
  ASSERT_TRUE(members) << bsm::render(members.error());
  EXPECT_EQ(names_of(*members), (std::vector<std::string>{"newer", "node-a"}));
  EXPECT_EQ(node->skipped_records(), 1u);
  EXPECT_EQ(members->front().incarnation(), 3u);
  EXPECT_EQ(members->front().state(), bsm::v1::MEMBER_STATE_DOWN)
    << "no liveness key (an older node's record): not known to be up";
}

TEST_F(RedisMembership, KeepsItsTableInTheDatabaseOfTheUrl) {
  auto db0 = connect_ok(0);
  auto db1 = connect_ok(1);
  ASSERT_NE(db0, nullptr);
  ASSERT_NE(db1, nullptr);
  ASSERT_FALSE(db1->announce(make_record("node-a"), 10s));
  auto in_db0 = db0->members();
  auto in_db1 = db1->members();
  ASSERT_TRUE(in_db0) << bsm::render(in_db0.error());
  ASSERT_TRUE(in_db1) << bsm::render(in_db1.error());
  EXPECT_TRUE(in_db0->empty());
  EXPECT_EQ(names_of(*in_db1), std::vector<std::string>{"node-a"});
}

TEST_F(RedisMembership, RejectsDatabaseRedisDoesNotHave) {
  auto client = redis_membership::connect(url(100000), 1s);
  ASSERT_FALSE(client);
  EXPECT_TRUE(bsm::is(client.error(), errc::invalid_argument))
    << bsm::render(client.error());
}

TEST_F(RedisMembership, RejectsRecordWithoutNameOrTtl) {
  auto node = connect_ok();
  ASSERT_NE(node, nullptr);
  EXPECT_TRUE(
    bsm::is(node->announce(make_record(""), 10s), errc::invalid_argument));
  EXPECT_TRUE(bsm::is(node->announce(make_record("node-a"), 0ms),
                      errc::invalid_argument));
  EXPECT_EQ(raw({"SCARD", "bsm:members"}), "0");
}

TEST_F(RedisMembership, FailsWhileRedisIsDownAndRecoversAfterItRestarts) {
  auto node = connect_ok();
  ASSERT_NE(node, nullptr);
  ASSERT_FALSE(node->announce(make_record("node-a"), 10s));
  server_->stop();
  auto err = node->announce(make_record("node-a"), 10s);
  EXPECT_TRUE(bsm::is(err, errc::unavailable)) << bsm::render(err);
  EXPECT_FALSE(node->connected());
  auto listed = node->members();
  ASSERT_FALSE(listed);
  EXPECT_TRUE(bsm::is(listed.error(), errc::unavailable));
  start_server();
  // The data died with the server (no persistence): announcing puts the
  // node back within a few calls, without a new client.
  auto ok = false;
  for (int attempt = 0; attempt < 3 && !ok; ++attempt)
    ok = !node->announce(make_record("node-a"), 10s);
  ASSERT_TRUE(ok);
  auto members = node->members();
  ASSERT_TRUE(members) << bsm::render(members.error());
  EXPECT_EQ(names_of(*members), std::vector<std::string>{"node-a"});
}

TEST_F(RedisMembership, RetriesAtOnceWhenRedisRestartedBetweenCalls) {
  auto node = connect_ok();
  ASSERT_NE(node, nullptr);
  ASSERT_FALSE(node->announce(make_record("node-a"), 10s));
  server_->stop();
  start_server();
  ASSERT_TRUE(node->connected()) << "no call has seen the restart yet";
  auto err = node->announce(make_record("node-a"), 10s);
  EXPECT_FALSE(err) << bsm::render(err);
  EXPECT_EQ(raw({"SISMEMBER", "bsm:members", "node-a"}), "1");
}

} // namespace
