#include "actors/memory_actor.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "runtime/error.hpp"
#include "runtime/system_config.hpp"
#include "tests/common/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;

/// `err` has `code` and its text holds `text`.
void expect(const caf::error& err, bsm::errc code, const std::string& text) {
  EXPECT_TRUE(bsm::is(err, code)) << bsm::render(err);
  EXPECT_NE(bsm::render(err).find(text), std::string::npos) << bsm::render(err);
}

class MemoryActor : public ::testing::Test {
protected:
  MemoryActor() {
    start();
  }

  ~MemoryActor() override {
    stop();
  }

  void start() {
    auto s = bsm::store::open(dir_.path(), {});
    ASSERT_TRUE(s) << bsm::render(s.error());
    db = std::move(*s);
    sys = std::make_unique<caf::actor_system>(cfg);
    spawn_memory();
  }

  void spawn_memory() {
    mem = sys->spawn<caf::detached>(bsm::memory, db.get(), limits, metrics,
                                    sequences, bsm::memory_replication_env{},
                                    bsm::memory_replica_metrics{});
  }

  /// Stops the actor alone and spawns the next incarnation on the same
  /// store and sequences, as its supervisor does.
  void restart_memory() {
    caf::scoped_actor self{*sys};
    self->monitor(mem);
    caf::anon_send_exit(mem, caf::exit_reason::kill);
    self->receive([](const caf::down_msg&) {});
    spawn_memory();
  }

  /// Stops the actor and closes the store, as a node restart does.
  void stop() {
    if (sys) {
      caf::anon_send_exit(mem, caf::exit_reason::user_shutdown);
      mem = nullptr;
      sys.reset();
    }
    db.reset();
  }

  template <class Response, class Request>
  caf::expected<Response> ask(const Request& req) {
    caf::expected<Response> result{caf::error{}};
    caf::scoped_actor self{*sys};
    self->request(mem, caf::infinite, req)
      .receive([&](Response& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  caf::error put(const std::string& agent, const std::string& key,
                 const std::string& value) {
    bsm::v1::MemoryPutRequest req;
    req.set_agent(agent);
    req.set_key(key);
    req.set_value(value);
    auto res = ask<bsm::v1::MemoryPutResponse>(req);
    return res ? caf::error{} : res.error();
  }

  caf::expected<bsm::v1::MemoryGetResponse> get(const std::string& agent,
                                                const std::string& key) {
    bsm::v1::MemoryGetRequest req;
    req.set_agent(agent);
    req.set_key(key);
    return ask<bsm::v1::MemoryGetResponse>(req);
  }

  caf::expected<bsm::v1::SessionAppendResponse>
  append(const std::string& session, const std::string& role,
         const std::string& content) {
    bsm::v1::SessionAppendRequest req;
    req.set_agent("legal");
    req.set_session_id(session);
    req.set_role(role);
    req.set_content(content);
    return ask<bsm::v1::SessionAppendResponse>(req);
  }

  caf::expected<bsm::v1::SessionReadResponse>
  read(const std::string& session, uint32_t limit, uint64_t before = 0) {
    bsm::v1::SessionReadRequest req;
    req.set_agent("legal");
    req.set_session_id(session);
    req.set_limit(limit);
    req.set_before_seq(before);
    return ask<bsm::v1::SessionReadResponse>(req);
  }

  caf::expected<bsm::v1::SessionAppendTurnsResponse>
  append_turns(const std::string& session,
               std::vector<std::pair<std::string, std::string>> turns,
               const std::string& turn_id = {},
               const std::string& agent = "legal") {
    bsm::v1::SessionAppendTurnsRequest req;
    req.set_agent(agent);
    req.set_session_id(session);
    req.set_turn_id(turn_id);
    for (auto& [role, content] : turns) {
      auto* t = req.add_turns();
      t->set_role(role);
      t->set_content(content);
    }
    return ask<bsm::v1::SessionAppendTurnsResponse>(req);
  }

  std::vector<std::string> contents(const std::string& session,
                                    uint32_t limit) {
    std::vector<std::string> result;
    auto got = read(session, limit);
    EXPECT_TRUE(got) << bsm::render(got.error());
    if (got)
      for (const auto& t : got->turns())
        result.push_back(t.content());
    return result;
  }

  uint64_t hits() const {
    return metrics.hits->value();
  }
  uint64_t misses() const {
    return metrics.misses->value();
  }

  bsm::test::temp_dir dir_;
  bsm::metrics::registry reg;
  bsm::session_cache_metrics metrics = bsm::session_cache_metrics::make(reg);
  bsm::memory_options limits;
  /// Null: each incarnation makes its own.
  std::shared_ptr<bsm::session_sequences> sequences;
  bsm::system_config cfg;
  std::unique_ptr<bsm::store> db;
  std::unique_ptr<caf::actor_system> sys;
  bsm::memory_actor mem;
};

TEST_F(MemoryActor, PutsGetsAndDeletesValues) {
  ASSERT_FALSE(put("legal", "contract/42", "signed"));
  auto got = get("legal", "contract/42");
  ASSERT_TRUE(got) << bsm::render(got.error());
  EXPECT_TRUE(got->found());
  EXPECT_EQ(got->value(), "signed");
  bsm::v1::MemoryDeleteRequest del;
  del.set_agent("legal");
  del.set_key("contract/42");
  auto deleted = ask<bsm::v1::MemoryDeleteResponse>(del);
  ASSERT_TRUE(deleted);
  EXPECT_TRUE(deleted->existed());
  auto again = ask<bsm::v1::MemoryDeleteResponse>(del);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->existed());
  auto gone = get("legal", "contract/42");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->found());
}

TEST_F(MemoryActor, KeepsAgentsApart) {
  ASSERT_FALSE(put("a", "k", "from a"));
  ASSERT_FALSE(put("ab", "k", "from ab"));
  EXPECT_EQ(get("a", "k")->value(), "from a");
  EXPECT_EQ(get("ab", "k")->value(), "from ab");
  bsm::v1::MemoryListRequest req;
  req.set_agent("a");
  auto listed = ask<bsm::v1::MemoryListResponse>(req);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->entries_size(), 1);
  EXPECT_EQ(listed->entries(0).value(), "from a");
}

TEST_F(MemoryActor, ListsByPrefixInPagesInKeyOrder) {
  for (auto key : {"doc/3", "doc/1", "doc/2", "note/1", "doc/4"})
    ASSERT_FALSE(put("legal", key, std::string{"v-"} + key));
  bsm::v1::MemoryListRequest req;
  req.set_agent("legal");
  req.set_prefix("doc/");
  req.set_limit(3);
  auto first = ask<bsm::v1::MemoryListResponse>(req);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->entries_size(), 3);
  EXPECT_EQ(first->entries(0).key(), "doc/1");
  EXPECT_EQ(first->entries(2).key(), "doc/3");
  EXPECT_TRUE(first->more());
  req.set_start_after(first->entries(2).key());
  auto second = ask<bsm::v1::MemoryListResponse>(req);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->entries_size(), 1);
  EXPECT_EQ(second->entries(0).key(), "doc/4");
  EXPECT_EQ(second->entries(0).value(), "v-doc/4");
  EXPECT_FALSE(second->more());
}

TEST_F(MemoryActor, ReadsTheLastTurnsOldestFirstAndPagesBackwards) {
  for (int i = 1; i <= 5; ++i) {
    auto seq
      = append("s1", i % 2 ? "user" : "assistant", "turn " + std::to_string(i));
    ASSERT_TRUE(seq) << bsm::render(seq.error());
    EXPECT_EQ(seq->seq(), static_cast<uint64_t>(i));
  }
  ASSERT_TRUE(append("s2", "user", "other session"));
  auto last = read("s1", 2);
  ASSERT_TRUE(last);
  ASSERT_EQ(last->turns_size(), 2);
  EXPECT_EQ(last->turns(0).content(), "turn 4");
  EXPECT_EQ(last->turns(1).content(), "turn 5");
  EXPECT_EQ(last->turns(1).role(), "user");
  EXPECT_TRUE(last->more());
  auto older = read("s1", 10, last->turns(0).seq());
  ASSERT_TRUE(older);
  ASSERT_EQ(older->turns_size(), 3);
  EXPECT_EQ(older->turns(0).content(), "turn 1");
  EXPECT_FALSE(older->more());
  auto empty = read("nobody", 10);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->turns_size(), 0);
}

TEST_F(MemoryActor, KeepsMemoryAndSessionsAcrossARestart) {
  ASSERT_FALSE(put("legal", "k", "durable"));
  ASSERT_TRUE(append("s1", "user", "hello"));
  ASSERT_TRUE(append("s1", "assistant", "hi"));
  stop();
  start();
  EXPECT_EQ(get("legal", "k")->value(), "durable");
  auto next = append("s1", "user", "again");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->seq(), 3u);
  auto all = read("s1", 10);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->turns_size(), 3);
  EXPECT_EQ(all->turns(0).content(), "hello");
}

TEST_F(MemoryActor, RejectsBadInputWithClearErrors) {
  expect(put("Bad Agent", "k", "v"), bsm::errc::invalid_argument,
         "invalid actor path");
  expect(put("legal", "", "v"), bsm::errc::invalid_argument, "non-empty");
  expect(put("legal", std::string("a\0b", 3), "v"), bsm::errc::invalid_argument,
         "NUL");
  expect(put("legal", std::string(2000, 'k'), "v"),
         bsm::errc::resource_exhausted, "key of 2000 bytes");
  expect(put("legal", "k", std::string(limits.max_value_bytes + 1, 'v')),
         bsm::errc::resource_exhausted, "exceeds the limit of 1048576");
  expect(append("s", "robot", "x").error(), bsm::errc::invalid_argument,
         "role must be");
  expect(append("", "user", "x").error(), bsm::errc::invalid_argument,
         "session_id");
  expect(
    append("s", "user", std::string(limits.max_turn_bytes + 1, 'x')).error(),
    bsm::errc::resource_exhausted, "turn of");
  // Nothing was written by the refused requests.
  bsm::v1::MemoryListRequest req;
  req.set_agent("legal");
  auto listed = ask<bsm::v1::MemoryListResponse>(req);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->entries_size(), 0);
  EXPECT_EQ(read("s", 10)->turns_size(), 0);
}

TEST_F(MemoryActor, AppendsTheTurnsOfARequestTogether) {
  ASSERT_TRUE(append("s", "system", "be brief"));
  auto both = append_turns("s", {{"user", "hi"}, {"assistant", "hello"}});
  ASSERT_TRUE(both) << bsm::render(both.error());
  EXPECT_EQ(both->first_seq(), 2u);
  EXPECT_EQ(both->last_seq(), 3u);
  EXPECT_EQ(contents("s", 10),
            (std::vector<std::string>{"be brief", "hi", "hello"}));
  auto all = read("s", 10);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->turns(2).seq(), 3u);
  EXPECT_EQ(all->turns(2).role(), "assistant");
  EXPECT_EQ(append("s", "user", "next")->seq(), 4u);
}

TEST_F(MemoryActor, AppendsATurnIdOnceAndAnswersTheStoredTurnsAgain) {
  auto first
    = append_turns("s", {{"user", "hi"}, {"assistant", "hello"}}, "m-1");
  ASSERT_TRUE(first) << bsm::render(first.error());
  EXPECT_FALSE(first->replayed());
  EXPECT_EQ(first->first_seq(), 1u);
  EXPECT_EQ(first->last_seq(), 2u);
  // The same turn again, with another answer (the model ran again).
  auto again
    = append_turns("s", {{"user", "hi"}, {"assistant", "hey there"}}, "m-1");
  ASSERT_TRUE(again) << bsm::render(again.error());
  EXPECT_TRUE(again->replayed());
  EXPECT_EQ(again->first_seq(), 1u);
  EXPECT_EQ(again->last_seq(), 2u);
  ASSERT_EQ(again->turns_size(), 2);
  EXPECT_EQ(again->turns(1).content(), "hello");
  EXPECT_EQ(contents("s", 10), (std::vector<std::string>{"hi", "hello"}));
  // Another turn id, and no turn id, append as before.
  auto next = append_turns("s", {{"user", "more"}, {"assistant", "ok"}}, "m-2");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->first_seq(), 3u);
  EXPECT_EQ(append("s", "user", "plain")->seq(), 5u);
}

TEST_F(MemoryActor, ATurnIdBelongsToItsAgentAndSession) {
  ASSERT_TRUE(append_turns("s", {{"user", "a"}, {"assistant", "b"}}, "m-1"));
  auto other_session
    = append_turns("t", {{"user", "a"}, {"assistant", "b"}}, "m-1");
  ASSERT_TRUE(other_session);
  EXPECT_FALSE(other_session->replayed());
  auto other_agent
    = append_turns("s", {{"user", "a"}, {"assistant", "b"}}, "m-1", "tax");
  ASSERT_TRUE(other_agent);
  EXPECT_FALSE(other_agent->replayed());
  EXPECT_EQ(contents("s", 10), (std::vector<std::string>{"a", "b"}));
}

TEST_F(MemoryActor, ATurnIdOutlivesARestartAndMarksNoTurnOfTheSession) {
  ASSERT_TRUE(append_turns("s", {{"user", "a"}, {"assistant", "b"}}, "m-1"));
  stop();
  start();
  auto again = append_turns("s", {{"user", "a"}, {"assistant", "c"}}, "m-1");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->replayed());
  // The marker is no turn: reads and the numbering see only the turns.
  EXPECT_EQ(contents("s", 10), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(append("s", "user", "next")->seq(), 3u);
}

TEST_F(MemoryActor, RefusesATurnIdOver128Characters) {
  auto res = append_turns("s", {{"user", "a"}}, std::string(129, 'x'));
  ASSERT_FALSE(res);
  expect(res.error(), bsm::errc::invalid_argument, "turn_id");
  EXPECT_TRUE(contents("s", 10).empty());
}

TEST_F(MemoryActor, AppendsAllTurnsOrNone) {
  // The second turn is bad: the first is not stored either.
  expect(append_turns("s", {{"user", "ok"}, {"robot", "x"}}).error(),
         bsm::errc::invalid_argument, "role must be");
  expect(append_turns(
           "s", {{"user", "ok"},
                 {"assistant", std::string(limits.max_turn_bytes + 1, 'x')}})
           .error(),
         bsm::errc::resource_exhausted, "turn of");
  expect(append_turns("s", {}).error(), bsm::errc::invalid_argument,
         "1 to 16 turns");
  std::vector<std::pair<std::string, std::string>> many(17, {"user", "x"});
  expect(append_turns("s", many).error(), bsm::errc::invalid_argument,
         "1 to 16 turns");
  expect(append_turns("", {{"user", "x"}}).error(), bsm::errc::invalid_argument,
         "session_id");
  EXPECT_TRUE(contents("s", 10).empty());
  // No number was used up.
  EXPECT_EQ(append_turns("s", {{"user", "a"}})->first_seq(), 1u);
}

TEST_F(MemoryActor, AnActiveSessionIsReadFromTheCache) {
  ASSERT_TRUE(append_turns("s", {{"user", "1"}, {"assistant", "2"}}));
  EXPECT_EQ(contents("s", 10), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(misses(), 1u);
  ASSERT_TRUE(append_turns("s", {{"user", "3"}, {"assistant", "4"}}));
  // Held since the read, kept up to date by the append.
  EXPECT_EQ(contents("s", 3), (std::vector<std::string>{"2", "3", "4"}));
  EXPECT_EQ(hits(), 1u);
  auto page = read("s", 3);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->more());
  // An older page comes from the store, not counted either way.
  auto older = read("s", 10, 3);
  ASSERT_TRUE(older);
  ASSERT_EQ(older->turns_size(), 2);
  EXPECT_EQ(older->turns(0).content(), "1");
  EXPECT_FALSE(older->more());
  EXPECT_EQ(misses(), 1u);
}

TEST_F(MemoryActor, AnEvictedSessionIsReadFromTheStoreAndNumberedOn) {
  stop();
  limits.session_cache_sessions = 1;
  start();
  ASSERT_TRUE(append_turns("a", {{"user", "a1"}, {"assistant", "a2"}}));
  ASSERT_TRUE(append_turns("b", {{"user", "b1"}}));
  EXPECT_EQ(contents("a", 10).size(), 2u); // a held
  EXPECT_EQ(contents("b", 10).size(), 1u); // b held, a evicted
  EXPECT_EQ(metrics.evictions->value(), 1u);
  EXPECT_EQ(metrics.sessions->value(), 1.0);
  ASSERT_TRUE(append_turns("a", {{"user", "a3"}}));
  EXPECT_EQ(contents("a", 10), (std::vector<std::string>{"a1", "a2", "a3"}));
  EXPECT_EQ(misses(), 3u);
  EXPECT_EQ(hits(), 0u);
  EXPECT_EQ(append("a", "assistant", "a4")->seq(), 4u);
  EXPECT_EQ(contents("a", 10).back(), "a4");
  EXPECT_EQ(hits(), 1u);
}

} // namespace

namespace {

template <class T>
bsm::v1::MailboxEntry entry_of(uint64_t seq, const T& msg) {
  bsm::v1::MailboxEntry e;
  e.set_seq(seq);
  e.mutable_envelope()->set_type_name(T::descriptor()->full_name());
  e.mutable_envelope()->set_payload(msg.SerializeAsString());
  return e;
}

bsm::v1::SessionAppendRequest turn(const std::string& session,
                                   const std::string& content) {
  bsm::v1::SessionAppendRequest req;
  req.set_agent("legal");
  req.set_session_id(session);
  req.set_role("user");
  req.set_content(content);
  return req;
}

} // namespace

// Exactly-once effects: the actor answers an EffectRequest with the writes
// its envelopes cause and makes none of them (the mailbox commits them).
TEST_F(MemoryActor, AnswersEffectsWithoutMakingThem) {
  ASSERT_TRUE(append("s1", "user", "stored directly"));
  bsm::v1::EffectRequest req;
  req.set_target("memory");
  bsm::v1::MemoryPutRequest put_req;
  put_req.set_agent("legal");
  put_req.set_key("k");
  put_req.set_value("v");
  *req.add_entries() = entry_of(10, put_req);
  *req.add_entries() = entry_of(11, turn("s1", "first"));
  *req.add_entries() = entry_of(12, turn("s1", "second"));
  bsm::v1::MemoryGetRequest a_read;
  a_read.set_agent("legal");
  a_read.set_key("k");
  *req.add_entries() = entry_of(13, a_read);
  *req.add_entries() = entry_of(14, turn("", "no session"));
  auto bad = entry_of(15, put_req);
  bad.mutable_envelope()->set_payload("\xff\xff not protobuf");
  *req.add_entries() = bad;
  auto ping = entry_of(16, bsm::v1::PingRequest{});
  *req.add_entries() = ping;
  auto effects = ask<bsm::v1::EffectResponse>(req);
  ASSERT_TRUE(effects) << bsm::render(effects.error());
  // A put and two turns, numbered after the stored one; the read has none.
  ASSERT_EQ(effects->writes_size(), 3);
  for (const auto& w : effects->writes()) {
    EXPECT_EQ(w.column(), bsm::v1::EFFECT_COLUMN_MEMORY);
    EXPECT_FALSE(w.erase());
  }
  EXPECT_EQ(effects->writes(0).value(), "v");
  bsm::v1::SessionTurn t;
  ASSERT_TRUE(t.ParseFromString(effects->writes(1).value()));
  EXPECT_EQ(t.seq(), 2u);
  ASSERT_TRUE(t.ParseFromString(effects->writes(2).value()));
  EXPECT_EQ(t.seq(), 3u);
  EXPECT_EQ(t.content(), "second");
  // Refused for good: a bad session id, a payload that does not parse, a
  // type memory does not handle.
  ASSERT_EQ(effects->refused_size(), 3);
  EXPECT_EQ(effects->refused(0).seq(), 14u);
  EXPECT_NE(effects->refused(0).error().find("session_id"), std::string::npos);
  EXPECT_EQ(effects->refused(1).seq(), 15u);
  EXPECT_EQ(effects->refused(2).seq(), 16u);
  EXPECT_NE(effects->refused(2).error().find("bsm.v1.PingRequest"),
            std::string::npos);
  // Nothing was written.
  EXPECT_FALSE(get("legal", "k")->found());
  EXPECT_EQ(read("s1", 10)->turns_size(), 1);
  // A later turn is numbered after those handed out, never on top of one.
  EXPECT_EQ(append("s1", "user", "after")->seq(), 4u);
}

// A turn handed to a mailbox may be committed at any time later, or never:
// the session is not answered from the cache until a store read shows it.
TEST_F(MemoryActor, AnEffectTurnReachesTheCacheOnlyOnceStored) {
  ASSERT_TRUE(append("s1", "user", "direct"));
  EXPECT_EQ(contents("s1", 10).size(), 1u); // now held
  bsm::v1::EffectRequest req;
  req.set_target("memory");
  *req.add_entries() = entry_of(1, turn("s1", "through the mailbox"));
  auto effects = ask<bsm::v1::EffectResponse>(req);
  ASSERT_TRUE(effects) << bsm::render(effects.error());
  ASSERT_EQ(effects->writes_size(), 1);
  // Not committed yet: read from the store, and not held.
  EXPECT_EQ(contents("s1", 10).size(), 1u);
  EXPECT_EQ(contents("s1", 10).size(), 1u);
  EXPECT_EQ(hits(), 0u);
  // The mailbox commits.
  const auto& w = effects->writes(0);
  ASSERT_FALSE(db->put(bsm::column::memory, w.key(), w.value()));
  EXPECT_EQ(contents("s1", 10),
            (std::vector<std::string>{"direct", "through the mailbox"}));
  EXPECT_EQ(contents("s1", 10).size(), 2u);
  EXPECT_EQ(hits(), 1u);
  EXPECT_EQ(misses(), 4u);
}

namespace {

bsm::v1::EffectRequest effect_turns(
  const std::vector<std::pair<std::string, std::string>>& session_contents) {
  bsm::v1::EffectRequest req;
  req.set_target("memory");
  uint64_t seq = 0;
  for (const auto& [session, content] : session_contents)
    *req.add_entries() = entry_of(++seq, turn(session, content));
  return req;
}

std::vector<uint64_t> seqs_of(const bsm::v1::SessionReadResponse& page) {
  std::vector<uint64_t> result;
  for (const auto& t : page.turns())
    result.push_back(t.seq());
  return result;
}

} // namespace

// A session whose last number was forgotten gets the next one from the
// store: its next turn is numbered right after its last stored one.
TEST_F(MemoryActor, AnEvictedSequenceIsReadBackFromTheStore) {
  stop();
  limits.sequence_cache_sessions = 1;
  limits.session_cache_sessions = 0;
  start();
  for (int i = 0; i < 3; ++i)
    for (const auto* session : {"a", "b", "c"})
      ASSERT_EQ(append(session, "user", std::to_string(i))->seq(),
                static_cast<uint64_t>(i + 1));
  for (const auto* session : {"a", "b", "c"}) {
    auto page = read(session, 10);
    ASSERT_TRUE(page);
    EXPECT_EQ(seqs_of(*page), (std::vector<uint64_t>{1, 2, 3}));
  }
}

// A turn handed to a mailbox and not yet committed is not in the store:
// a session whose last number was forgotten meanwhile must still be
// numbered after it, or the commit would overwrite a direct append.
TEST_F(MemoryActor, AnEvictedSessionWithAPendingEffectTurnIsNumberedAfterIt) {
  stop();
  limits.sequence_cache_sessions = 1;
  start();
  ASSERT_EQ(append("a", "user", "a1")->seq(), 1u);
  auto effects = ask<bsm::v1::EffectResponse>(
    effect_turns({{"a", "a2 through the mailbox"}}));
  ASSERT_TRUE(effects) << bsm::render(effects.error());
  ASSERT_TRUE(append("b", "user", "b1")); // forgets a's number
  EXPECT_EQ(append("a", "user", "a3 direct")->seq(), 3u);
  const auto& w = effects->writes(0);
  ASSERT_FALSE(db->put(bsm::column::memory, w.key(), w.value()));
  EXPECT_EQ(contents("a", 10), (std::vector<std::string>{
                                 "a1", "a2 through the mailbox", "a3 direct"}));
}

// The noticed case: memory restarts between handing out an effect batch
// and the mailbox's commit. The sequences outlive the incarnation, so a
// direct append after the restart does not take the handed-out number.
TEST_F(MemoryActor, ARestartBeforeTheCommitDoesNotReuseATurnNumber) {
  stop();
  sequences = std::make_shared<bsm::session_sequences>(16);
  start();
  ASSERT_EQ(append("s", "user", "one")->seq(), 1u);
  auto effects = ask<bsm::v1::EffectResponse>(
    effect_turns({{"s", "two"}, {"s", "three"}}));
  ASSERT_TRUE(effects) << bsm::render(effects.error());
  ASSERT_EQ(effects->writes_size(), 2);
  restart_memory();
  EXPECT_EQ(append("s", "user", "four")->seq(), 4u);
  for (const auto& w : effects->writes())
    ASSERT_FALSE(db->put(bsm::column::memory, w.key(), w.value()));
  EXPECT_EQ(contents("s", 10),
            (std::vector<std::string>{"one", "two", "three", "four"}));
}

namespace {

bsm::v1::SessionListRequest list_of(const std::string& agent, uint32_t limit,
                                    const std::string& after = {}) {
  bsm::v1::SessionListRequest req;
  req.set_agent(agent);
  req.set_limit(limit);
  req.set_start_after(after);
  return req;
}

bsm::v1::SessionPageRequest page_of(const std::string& session, uint32_t limit,
                                    uint64_t after) {
  bsm::v1::SessionPageRequest req;
  req.set_agent("legal");
  req.set_session_id(session);
  req.set_limit(limit);
  req.set_after_seq(after);
  return req;
}

} // namespace

TEST_F(MemoryActor, ListsAnAgentsSessionsInPagesWithTheirNewestTurn) {
  // "s1x" sorts between "s1" and "s2": the skip scan must not stop in s1.
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(append("s1", "user", "one " + std::to_string(i)));
  ASSERT_TRUE(append("s1x", "user", "one"));
  ASSERT_TRUE(append("s2", "user", "first"));
  ASSERT_TRUE(append("s2", "assistant", "second"));
  bsm::v1::SessionAppendRequest other;
  other.set_agent("legalx");
  other.set_session_id("s0");
  other.set_role("user");
  other.set_content("another agent's");
  ASSERT_TRUE(ask<bsm::v1::SessionAppendResponse>(other));
  auto first = ask<bsm::v1::SessionListResponse>(list_of("legal", 2));
  ASSERT_TRUE(first) << bsm::render(first.error());
  ASSERT_EQ(first->sessions_size(), 2);
  EXPECT_EQ(first->sessions(0).session_id(), "s1");
  EXPECT_EQ(first->sessions(0).last_seq(), 3u);
  EXPECT_GT(first->sessions(0).last_activity_unix_ms(), 0);
  EXPECT_EQ(first->sessions(1).session_id(), "s1x");
  EXPECT_EQ(first->sessions(1).last_seq(), 1u);
  EXPECT_TRUE(first->more());
  auto second = ask<bsm::v1::SessionListResponse>(list_of("legal", 2, "s1x"));
  ASSERT_TRUE(second);
  ASSERT_EQ(second->sessions_size(), 1);
  EXPECT_EQ(second->sessions(0).session_id(), "s2");
  EXPECT_EQ(second->sessions(0).last_seq(), 2u);
  EXPECT_FALSE(second->more());
  auto none = ask<bsm::v1::SessionListResponse>(list_of("nobody", 0));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->sessions_size(), 0);
  EXPECT_FALSE(none->more());
}

TEST_F(MemoryActor, ReadsASessionForwardsInPages) {
  for (int i = 1; i <= 5; ++i)
    ASSERT_TRUE(append("s1", "user", "turn " + std::to_string(i)));
  ASSERT_TRUE(append("s10", "user", "another session"));
  auto first = ask<bsm::v1::SessionPageResponse>(page_of("s1", 2, 0));
  ASSERT_TRUE(first) << bsm::render(first.error());
  EXPECT_TRUE(first->found());
  ASSERT_EQ(first->turns_size(), 2);
  EXPECT_EQ(first->turns(0).content(), "turn 1");
  EXPECT_EQ(first->turns(1).content(), "turn 2");
  EXPECT_TRUE(first->more());
  auto rest = ask<bsm::v1::SessionPageResponse>(page_of("s1", 10, 2));
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->turns_size(), 3);
  EXPECT_EQ(rest->turns(2).content(), "turn 5");
  EXPECT_FALSE(rest->more());
  auto past = ask<bsm::v1::SessionPageResponse>(page_of("s1", 10, UINT64_MAX));
  ASSERT_TRUE(past);
  EXPECT_TRUE(past->found());
  EXPECT_EQ(past->turns_size(), 0);
  auto unknown = ask<bsm::v1::SessionPageResponse>(page_of("s", 10, 0));
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(unknown->found());
}

TEST_F(MemoryActor, RefusesASessionListCursorThatIsNoSessionId) {
  auto bad = ask<bsm::v1::SessionListResponse>(
    list_of("legal", 10, std::string{"s\x01"}));
  ASSERT_FALSE(bad);
  expect(bad.error(), bsm::errc::invalid_argument, "control character");
}

// -- the copy's side of replicas (cluster.replication_factor 2) ----------

namespace {

bsm::v1::ReplicaWriteRequest change(uint64_t epoch, const std::string& from,
                                    const std::string& key,
                                    const std::string& value) {
  bsm::v1::ReplicaWriteRequest req;
  req.set_agent("legal");
  req.set_epoch(epoch);
  req.set_from_node(from);
  auto* w = req.add_writes();
  w->set_column(bsm::v1::EFFECT_COLUMN_MEMORY);
  w->set_key(key);
  w->set_value(value);
  return req;
}

std::string kv_key(const std::string& agent, const std::string& key) {
  return std::string{"kv\0", 3} + agent + '\0' + key;
}

} // namespace

TEST_F(MemoryActor, ACopyTakesChangesOfTheEpochItKnowsAndRefusesOlderOnes) {
  using bsm::v1::EpochClaimResponse;
  using bsm::v1::ReplicaWriteResponse;
  bsm::v1::EpochClaimRequest claim;
  claim.set_agent("legal");
  claim.set_epoch(1);
  claim.set_from_node("node-a");
  auto granted = ask<EpochClaimResponse>(claim);
  ASSERT_TRUE(granted) << bsm::render(granted.error());
  EXPECT_TRUE(granted->granted());
  EXPECT_EQ(granted->previous_epoch(), 0u);

  auto applied = ask<ReplicaWriteResponse>(
    change(1, "node-a", kv_key("legal", "colour"), "blue"));
  ASSERT_TRUE(applied);
  EXPECT_EQ(applied->verdict(), bsm::v1::REPLICA_VERDICT_APPLIED);
  EXPECT_EQ(get("legal", "colour")->value(), "blue");

  // node-b claims a later epoch (node-a was declared down): node-a's late
  // change is refused and changes nothing.
  claim.set_epoch(2);
  claim.set_from_node("node-b");
  ASSERT_TRUE(ask<EpochClaimResponse>(claim)->granted());
  auto late = ask<ReplicaWriteResponse>(
    change(1, "node-a", kv_key("legal", "colour"), "red"));
  ASSERT_TRUE(late);
  EXPECT_EQ(late->verdict(), bsm::v1::REPLICA_VERDICT_STALE);
  EXPECT_EQ(get("legal", "colour")->value(), "blue");
  // An older claim is refused too, naming the current one.
  claim.set_epoch(2);
  claim.set_from_node("node-a");
  auto old = ask<EpochClaimResponse>(claim);
  EXPECT_FALSE(old->granted());
  EXPECT_EQ(old->previous_epoch(), 2u);
  EXPECT_EQ(old->previous_holder(), "node-b");
  // A change from a later epoch than it knows: the copy is behind.
  auto ahead = ask<ReplicaWriteResponse>(
    change(3, "node-b", kv_key("legal", "colour"), "green"));
  EXPECT_EQ(ahead->verdict(), bsm::v1::REPLICA_VERDICT_BEHIND);
  // Keys outside the agent's state are refused.
  auto foreign = ask<ReplicaWriteResponse>(
    change(2, "node-b", kv_key("other", "colour"), "green"));
  EXPECT_FALSE(foreign);
  EXPECT_EQ(get("other", "colour")->found(), false);
}

TEST_F(MemoryActor, AnAgentsWholeStateIsPagedAndLoadedElsewhere) {
  ASSERT_FALSE(put("legal", "colour", "blue"));
  ASSERT_FALSE(put("legal", "size", std::string(3000, 'x')));
  ASSERT_FALSE(put("other", "colour", "red"));
  ASSERT_TRUE(
    append_turns("s1", {{"user", "hi"}, {"assistant", "hello"}}, "turn-1"));
  // Pages of at most about 1 KiB: more than one, in key order, nothing of
  // another agent.
  std::vector<bsm::v1::StoreWrite> all;
  std::string after;
  int pages = 0;
  for (bool done = false; !done && pages < 100; ++pages) {
    bsm::v1::AgentStatePageRequest req;
    req.set_agent("legal");
    req.set_after_key(after);
    req.set_max_bytes(1024);
    auto page = ask<bsm::v1::AgentStatePageResponse>(req);
    ASSERT_TRUE(page) << bsm::render(page.error());
    for (const auto& e : page->entries())
      all.push_back(e);
    done = page->done();
    if (!page->entries().empty())
      after = page->entries().rbegin()->key();
  }
  EXPECT_GT(pages, 1);
  ASSERT_EQ(all.size(), 5u) << "two keys, two turns, one turn marker";
  for (size_t i = 1; i < all.size(); ++i)
    EXPECT_LT(all[i - 1].key(), all[i].key());

  // Loaded into a fresh store under epoch 4: the same answers there.
  stop();
  bsm::test::temp_dir other;
  auto s = bsm::store::open(other.path(), {});
  ASSERT_TRUE(s);
  db = std::move(*s);
  sys = std::make_unique<caf::actor_system>(cfg);
  spawn_memory();
  ASSERT_FALSE(put("legal", "stale", "gone after the load"));
  bsm::v1::AgentStateLoadRequest load;
  load.set_agent("legal");
  load.set_epoch(4);
  load.set_from_node("node-a");
  load.set_first(true);
  load.set_done(true);
  for (const auto& e : all)
    *load.add_entries() = e;
  auto loaded = ask<bsm::v1::AgentStateLoadResponse>(load);
  ASSERT_TRUE(loaded) << bsm::render(loaded.error());
  EXPECT_EQ(loaded->verdict(), bsm::v1::REPLICA_VERDICT_APPLIED);
  EXPECT_EQ(get("legal", "colour")->value(), "blue");
  EXPECT_FALSE(get("legal", "stale")->found());
  auto turns = read("s1", 10);
  ASSERT_TRUE(turns);
  ASSERT_EQ(turns->turns_size(), 2);
  EXPECT_EQ(turns->turns(1).content(), "hello");
  // The same turn again is recognised by its marker.
  auto again
    = append_turns("s1", {{"user", "hi"}, {"assistant", "hello"}}, "turn-1");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->replayed());
  // The load made node-a the holder of epoch 4: an older load is refused.
  load.set_epoch(3);
  EXPECT_EQ(ask<bsm::v1::AgentStateLoadResponse>(load)->verdict(),
            bsm::v1::REPLICA_VERDICT_STALE);
  stop(); // before `other` goes
}
