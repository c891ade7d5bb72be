// Memory receiving an agent's state from another node's store: the chunks
// replace what it held of the agent, in the store and in its caches.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/memory_actor.hpp"
#include "runtime/error.hpp"
#include "runtime/store/state_chunker.hpp"
#include "runtime/system_config.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

struct memory_node {
  bsm::test::temp_dir dir;
  std::unique_ptr<bsm::store> db;
  bsm::memory_actor mem;

  explicit memory_node(caf::actor_system& sys) {
    auto s = bsm::store::open(dir.path(), {});
    EXPECT_TRUE(s) << bsm::render(s.error());
    db = std::move(*s);
    mem = sys.spawn<caf::detached>(bsm::memory, db.get(), bsm::memory_options{},
                                   bsm::session_cache_metrics{}, nullptr,
                                   bsm::memory_replication_env{},
                                   bsm::memory_replica_metrics{});
  }
};

class MemoryStateChunk : public ::testing::Test {
protected:
  // The actors stop before their stores close.
  ~MemoryStateChunk() override {
    caf::scoped_actor self{sys};
    for (auto* node : {&from, &to}) {
      self->monitor(node->mem);
      caf::anon_send_exit(node->mem, caf::exit_reason::user_shutdown);
      self->receive([](const caf::down_msg&) {});
    }
  }

  template <class Response, class Request>
  caf::expected<Response> ask(const bsm::memory_actor& mem,
                              const Request& req) {
    caf::expected<Response> result{caf::error{}};
    caf::scoped_actor self{sys};
    self->request(mem, caf::infinite, req)
      .receive([&](Response& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  void append(const bsm::memory_actor& mem, const std::string& content) {
    bsm::v1::SessionAppendTurnsRequest req;
    req.set_agent("legal");
    req.set_session_id("s1");
    auto* turn = req.add_turns();
    turn->set_role("user");
    turn->set_content(content);
    auto res = ask<bsm::v1::SessionAppendTurnsResponse>(mem, req);
    ASSERT_TRUE(res) << bsm::render(res.error());
  }

  std::vector<std::string> turns(const bsm::memory_actor& mem) {
    bsm::v1::SessionReadRequest req;
    req.set_agent("legal");
    req.set_session_id("s1");
    req.set_limit(100);
    auto res = ask<bsm::v1::SessionReadResponse>(mem, req);
    std::vector<std::string> result;
    EXPECT_TRUE(res) << bsm::render(res.error());
    if (res)
      for (const auto& t : res->turns())
        result.push_back(std::to_string(t.seq()) + ":" + t.content());
    return result;
  }

  caf::expected<bsm::v1::StateChunkResponse>
  send(const bsm::v1::StateChunk& chunk) {
    bsm::v1::StateChunkRequest req;
    req.set_from_node("n1");
    req.set_from_incarnation(1);
    *req.mutable_chunk() = chunk;
    return ask<bsm::v1::StateChunkResponse>(to.mem, req);
  }

  // Every chunk of legal's state in `from`'s store, small ones.
  std::vector<bsm::v1::StateChunk> chunks_of_from() {
    bsm::state_chunker chunker{*from.db, "legal", {4096, 2}};
    std::vector<bsm::v1::StateChunk> result;
    while (!chunker.done()) {
      auto chunk = chunker.next();
      EXPECT_TRUE(chunk);
      if (!chunk)
        break;
      result.push_back(std::move(*chunk));
    }
    return result;
  }

  bsm::system_config cfg;
  caf::actor_system sys{cfg};
  memory_node from{sys};
  memory_node to{sys};
};

// The receiver read (and so cached) an old copy of the session; after the
// hand-off it reads the sender's turns and numbers the next one after
// them, not after its old copy.
TEST_F(MemoryStateChunk, ReplacesTheAgentsStateAndWhatMemoryHeldOfIt) {
  append(to.mem, "stale");
  EXPECT_EQ(turns(to.mem), std::vector<std::string>{"1:stale"});
  for (auto text : {"a", "b", "c"})
    append(from.mem, text);
  bsm::v1::MemoryPutRequest put;
  put.set_agent("legal");
  put.set_key("colour");
  put.set_value("blue");
  ASSERT_TRUE(ask<bsm::v1::MemoryPutResponse>(from.mem, put));
  auto chunks = chunks_of_from();
  ASSERT_GT(chunks.size(), 1u);
  for (const auto& chunk : chunks) {
    auto res = send(chunk);
    ASSERT_TRUE(res) << bsm::render(res.error());
    EXPECT_EQ(res->seq(), chunk.seq());
  }
  EXPECT_EQ(turns(to.mem), (std::vector<std::string>{"1:a", "2:b", "3:c"}));
  append(to.mem, "d");
  EXPECT_EQ(turns(to.mem),
            (std::vector<std::string>{"1:a", "2:b", "3:c", "4:d"}));
  bsm::v1::MemoryGetRequest get;
  get.set_agent("legal");
  get.set_key("colour");
  auto value = ask<bsm::v1::MemoryGetResponse>(to.mem, get);
  ASSERT_TRUE(value);
  EXPECT_EQ(value->value(), "blue");
}

TEST_F(MemoryStateChunk, AChunkSentAgainIsAnsweredWithoutAWrite) {
  for (auto text : {"a", "b", "c", "d", "e"})
    append(from.mem, text);
  auto chunks = chunks_of_from();
  ASSERT_EQ(chunks.size(), 3u);
  ASSERT_TRUE(send(chunks[0]));
  ASSERT_TRUE(send(chunks[1]));
  auto again = send(chunks[1]);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->applied(), 0u);
  auto ahead = chunks[2];
  ahead.set_seq(5);
  auto refused = send(ahead);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(bsm::is(refused.error(), bsm::errc::invalid_argument));
  ASSERT_TRUE(send(chunks[2]));
  EXPECT_EQ(turns(to.mem),
            (std::vector<std::string>{"1:a", "2:b", "3:c", "4:d", "5:e"}));
}

TEST_F(MemoryStateChunk, RefusesAnotherAgentsKeys) {
  bsm::v1::StateChunk chunk;
  chunk.set_agent("legal");
  auto* e = chunk.add_entries();
  e->set_family(bsm::v1::STATE_FAMILY_MEMORY);
  e->set_key(bsm::memory_kv_prefix("architect") + "colour");
  e->set_value("red");
  auto res = send(chunk);
  ASSERT_FALSE(res);
  EXPECT_TRUE(bsm::is(res.error(), bsm::errc::invalid_argument));
}

} // namespace
