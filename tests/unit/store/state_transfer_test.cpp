// The chunker on one store and the applier on another: an agent's state
// goes over in bounded chunks, whole, and nothing of other agents with it.

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <rocksdb/write_batch.h>

#include "runtime/error.hpp"
#include "runtime/store/agent_state.hpp"
#include "runtime/store/state_apply.hpp"
#include "runtime/store/state_chunker.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

using bsm::column;
using contents = std::map<std::pair<column, std::string>, std::string>;

struct open_store {
  bsm::test::temp_dir dir;
  std::unique_ptr<bsm::store> db;

  open_store() {
    auto s = bsm::store::open(dir.path(), {});
    EXPECT_TRUE(s) << bsm::render(s.error());
    db = std::move(*s);
  }

  void put(column cf, const std::string& key, const std::string& value) {
    rocksdb::WriteBatch batch;
    ASSERT_TRUE(batch.Put(db->handle(cf), key, value).ok());
    ASSERT_FALSE(db->write(batch));
  }

  // Every key of both families the state lives in.
  contents all() const {
    contents result;
    for (auto cf : {column::memory, column::idempotency}) {
      rocksdb::ReadOptions opts;
      opts.total_order_seek = true;
      std::unique_ptr<rocksdb::Iterator> it{
        db->db().NewIterator(opts, db->handle(cf))};
      for (it->SeekToFirst(); it->Valid(); it->Next())
        result[{cf, it->key().ToString()}] = it->value().ToString();
    }
    return result;
  }
};

std::string turn_key(const std::string& agent, const std::string& session,
                     uint8_t seq) {
  auto key = bsm::memory_sessions_base(agent) + session + '\0';
  key.append(7, '\0');
  key += static_cast<char>(seq);
  return key;
}

// Two agents with every kind of state, the second's name a prefix of the
// first's.
void fill(open_store& s) {
  for (const std::string agent : {"legal", "leg"}) {
    for (int i = 0; i < 20; ++i)
      s.put(column::memory,
            bsm::memory_kv_prefix(agent) + "k" + std::to_string(i),
            agent + std::string(100, 'v'));
    for (uint8_t seq = 1; seq <= 10; ++seq)
      s.put(column::memory, turn_key(agent, "s1", seq), "turn");
    s.put(column::memory, bsm::memory_turn_markers_base(agent) + "s1\0t1",
          "marker");
    s.put(column::idempotency,
          bsm::tool_ledger_agent_prefix(agent) + "t1/0/abc", "result");
  }
  s.put(column::idempotency, "agents/legal\0key", "http record");
}

contents only_agent(const contents& all, const std::string& agent) {
  contents result;
  for (const auto& [where, value] : all) {
    auto family = where.first == column::memory
                    ? bsm::v1::STATE_FAMILY_MEMORY
                    : bsm::v1::STATE_FAMILY_TOOL_LEDGER;
    if (bsm::in_agent_state(agent, family, where.second))
      result[where] = value;
  }
  return result;
}

// Runs a whole transfer and returns how many chunks it took.
size_t transfer(open_store& from, open_store& to, const std::string& agent,
                bsm::chunk_limits limits) {
  bsm::state_chunker chunker{*from.db, agent, limits};
  size_t chunks = 0;
  while (!chunker.done()) {
    auto chunk = chunker.next();
    EXPECT_TRUE(chunk) << bsm::render(chunk.error());
    if (!chunk)
      break;
    EXPECT_EQ(chunk->seq(), chunks);
    EXPECT_LE(static_cast<size_t>(chunk->entries_size()), limits.max_entries);
    auto applied = bsm::apply_state_chunk(*to.db, *chunk);
    EXPECT_TRUE(applied) << bsm::render(applied.error());
    ++chunks;
  }
  return chunks;
}

TEST(StateTransfer, CopiesEveryKeyOfTheAgentAndNoOther) {
  open_store from;
  open_store to;
  fill(from);
  auto chunks = transfer(from, to, "legal", {4096, 7});
  EXPECT_GT(chunks, 4u);
  EXPECT_EQ(to.all(), only_agent(from.all(), "legal"));
  EXPECT_EQ(only_agent(to.all(), "leg").size(), 0u);
}

TEST(StateTransfer, ChunksStayWithinTheByteBound) {
  open_store from;
  fill(from);
  bsm::state_chunker chunker{*from.db, "legal", {300, 1000}};
  while (!chunker.done()) {
    auto chunk = chunker.next();
    ASSERT_TRUE(chunk);
    size_t size = 0;
    for (const auto& e : chunk->entries())
      size += e.key().size() + e.value().size();
    EXPECT_LE(size, 300u);
  }
  EXPECT_EQ(chunker.entries(), 32u);
}

TEST(StateTransfer, AnEntryOverTheBoundTravelsAlone) {
  open_store from;
  from.put(column::memory, bsm::memory_kv_prefix("legal") + "big",
           std::string(1000, 'x'));
  from.put(column::memory, bsm::memory_kv_prefix("legal") + "small", "x");
  bsm::state_chunker chunker{*from.db, "legal", {100, 10}};
  auto first = chunker.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->entries_size(), 1);
  EXPECT_FALSE(first->last());
  auto second = chunker.next();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->entries_size(), 1);
  EXPECT_TRUE(second->last());
  EXPECT_TRUE(chunker.done());
}

TEST(StateTransfer, AnAgentWithoutStateIsOneEmptyLastChunk) {
  open_store from;
  fill(from);
  bsm::state_chunker chunker{*from.db, "nobody"};
  auto chunk = chunker.next();
  ASSERT_TRUE(chunk);
  EXPECT_EQ(chunk->entries_size(), 0);
  EXPECT_TRUE(chunk->last());
  EXPECT_EQ(chunk->agent(), "nobody");
}

// Writes after the chunker was made are not in the transfer: the chunks
// are the state at one moment.
TEST(StateTransfer, ReadsOneSnapshot) {
  open_store from;
  open_store to;
  fill(from);
  bsm::state_chunker chunker{*from.db, "legal", {4096, 5}};
  auto before = only_agent(from.all(), "legal");
  from.put(column::memory, bsm::memory_kv_prefix("legal") + "late", "x");
  while (!chunker.done()) {
    auto chunk = chunker.next();
    ASSERT_TRUE(chunk);
    ASSERT_TRUE(bsm::apply_state_chunk(*to.db, *chunk));
  }
  EXPECT_EQ(to.all(), before);
}

// What the receiver held of the agent before (an old ownership's copy) is
// replaced, not merged; other agents' state there stays.
TEST(StateTransfer, TheFirstChunkReplacesTheReceiversCopy) {
  open_store from;
  open_store to;
  fill(from);
  to.put(column::memory, bsm::memory_kv_prefix("legal") + "stale", "old");
  to.put(column::memory, turn_key("legal", "s9", 1), "old turn");
  to.put(column::idempotency, bsm::tool_ledger_agent_prefix("legal") + "old",
         "old");
  to.put(column::memory, bsm::memory_kv_prefix("leg") + "mine", "kept");
  transfer(from, to, "legal", {});
  auto expected = only_agent(from.all(), "legal");
  expected[{column::memory, bsm::memory_kv_prefix("leg") + "mine"}] = "kept";
  EXPECT_EQ(to.all(), expected);
}

TEST(StateTransfer, AChunkWithAStrayEntryWritesNothing) {
  open_store to;
  bsm::v1::StateChunk chunk;
  chunk.set_agent("legal");
  chunk.set_seq(1);
  auto* ok = chunk.add_entries();
  ok->set_family(bsm::v1::STATE_FAMILY_MEMORY);
  ok->set_key(bsm::memory_kv_prefix("legal") + "a");
  ok->set_value("x");
  auto* stray = chunk.add_entries();
  stray->set_family(bsm::v1::STATE_FAMILY_MEMORY);
  stray->set_key(bsm::memory_kv_prefix("architect") + "a");
  stray->set_value("x");
  auto applied = bsm::apply_state_chunk(*to.db, chunk);
  ASSERT_FALSE(applied);
  EXPECT_TRUE(bsm::is(applied.error(), bsm::errc::invalid_argument))
    << bsm::render(applied.error());
  EXPECT_TRUE(to.all().empty());
}

TEST(StateTransfer, AChunkWithoutAnAgentIsRefused) {
  bsm::v1::StateChunk chunk;
  EXPECT_TRUE(
    bsm::is(bsm::check_state_chunk(chunk), bsm::errc::invalid_argument));
}

TEST(AgentsWithState, ListsEachAgentOnceInNameOrder) {
  open_store s;
  fill(s);
  s.put(column::memory, bsm::memory_kv_prefix("leg-x") + "k", "v");
  s.put(column::memory, turn_key("zed", "s1", 1), "turn");
  s.put(column::memory, bsm::memory_turn_markers_base("mark") + "s\0t", "m");
  s.put(column::idempotency, bsm::tool_ledger_agent_prefix("tooly") + "t/0/a",
        "r");
  s.put(column::idempotency, bsm::tool_ledger_agent_prefix("leg-y") + "t/0/a",
        "r");
  auto all = bsm::agents_with_state(*s.db, "", 100);
  ASSERT_TRUE(all) << bsm::render(all.error());
  EXPECT_EQ(*all, (std::vector<std::string>{"leg", "leg-x", "leg-y", "legal",
                                            "mark", "tooly", "zed"}));
}

TEST(AgentsWithState, PagesAfterAName) {
  open_store s;
  fill(s);
  s.put(column::memory, bsm::memory_kv_prefix("leg-x") + "k", "v");
  s.put(column::idempotency, bsm::tool_ledger_agent_prefix("leg-y") + "t/0/a",
        "r");
  std::vector<std::string> seen;
  std::string after;
  for (;;) {
    auto page = bsm::agents_with_state(*s.db, after, 2);
    ASSERT_TRUE(page);
    ASSERT_LE(page->size(), 2u);
    if (page->empty())
      break;
    seen.insert(seen.end(), page->begin(), page->end());
    after = page->back();
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"leg", "leg-x", "leg-y", "legal"}));
}

TEST(ChunkSequences, AppliesInOrderAndRecognisesRepeats) {
  bsm::chunk_sequences seqs;
  using bsm::chunk_verdict;
  EXPECT_EQ(seqs.check("n1", "legal", 0), chunk_verdict::apply);
  EXPECT_EQ(seqs.check("n1", "legal", 1), chunk_verdict::refuse);
  seqs.applied("n1", "legal", 0);
  EXPECT_EQ(seqs.check("n1", "legal", 0), chunk_verdict::apply);
  EXPECT_EQ(seqs.check("n1", "legal", 1), chunk_verdict::apply);
  EXPECT_EQ(seqs.check("n1", "legal", 2), chunk_verdict::refuse);
  seqs.applied("n1", "legal", 1);
  EXPECT_EQ(seqs.check("n1", "legal", 1), chunk_verdict::repeat);
  EXPECT_EQ(seqs.check("n1", "legal", 2), chunk_verdict::apply);
}

TEST(ChunkSequences, KeepsSendersAndAgentsApart) {
  bsm::chunk_sequences seqs;
  seqs.applied("n1", "legal", 0);
  EXPECT_EQ(seqs.check("n2", "legal", 1), bsm::chunk_verdict::refuse);
  EXPECT_EQ(seqs.check("n1", "architect", 1), bsm::chunk_verdict::refuse);
  EXPECT_EQ(seqs.check("n1", "legal", 1), bsm::chunk_verdict::apply);
}

TEST(ChunkSequences, ForgetsTheOldestTransferPastItsBound) {
  bsm::chunk_sequences seqs{2};
  seqs.applied("n1", "a", 0);
  seqs.applied("n1", "b", 0);
  seqs.applied("n1", "c", 0);
  EXPECT_EQ(seqs.size(), 2u);
  EXPECT_EQ(seqs.check("n1", "a", 1), bsm::chunk_verdict::refuse);
  EXPECT_EQ(seqs.check("n1", "c", 1), bsm::chunk_verdict::apply);
}

} // namespace
