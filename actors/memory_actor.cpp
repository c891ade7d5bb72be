#include "actors/memory_actor.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "actors/memory_keys.hpp"
#include "actors/memory_partition.hpp"
#include "actors/memory_replica_flow.hpp"
#include "runtime/clock.hpp"
#include "runtime/error.hpp"
#include "runtime/naming/name_registry.hpp"
#include "runtime/store/agent_state.hpp"
#include "runtime/store/big_endian.hpp"
#include "runtime/store/session_prefix.hpp"

namespace bsm {

namespace {

constexpr uint32_t default_list_limit = 100;
constexpr uint32_t default_read_limit = 20;
constexpr uint32_t max_page = 1000;
constexpr size_t max_session_id = 128;
constexpr int max_turns_per_append = 16;
constexpr size_t max_turn_id = 128;

using memory_keys::session_prefix;
using memory_keys::turn_marker_key;

std::string big_endian(uint64_t x) {
  std::string result;
  append_big_endian(result, x);
  return result;
}

caf::error check_agent(const std::string& agent) {
  if (agent.size() > 128)
    return make_error(errc::invalid_argument,
                      "agent name longer than 128 characters");
  return name_registry::validate_path(agent);
}

caf::error check_session(const std::string& id) {
  if (id.empty() || id.size() > max_session_id)
    return make_error(errc::invalid_argument,
                      "session_id must have 1 to 128 characters");
  for (auto c : id)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
      return make_error(errc::invalid_argument,
                        "session_id holds a control character");
  return caf::none;
}

caf::error check_turn_id(const std::string& id) {
  if (id.size() > max_turn_id)
    return make_error(errc::invalid_argument,
                      "turn_id must have at most 128 characters");
  return caf::none;
}

caf::error check_role(const std::string& role) {
  if (role == "system" || role == "user" || role == "assistant"
      || role == "tool")
    return caf::none;
  return make_error(errc::invalid_argument,
                    "role must be system, user, assistant or tool, got '" + role
                      + "'");
}

/// Validates agent and session id and returns the session's key prefix.
caf::expected<std::string> session_key(const std::string& agent,
                                       const std::string& session) {
  if (auto err = check_agent(agent))
    return err;
  if (auto err = check_session(session))
    return err;
  return session_prefix(agent, session);
}

caf::error too_large(const char* what, size_t size, uint64_t limit) {
  return make_error(errc::resource_exhausted,
                    std::string{what} + " of " + std::to_string(size)
                      + " bytes exceeds the limit of " + std::to_string(limit)
                      + " bytes");
}

uint32_t page_size(uint32_t requested, uint32_t fallback) {
  return requested == 0 ? fallback : std::min(requested, max_page);
}

v1::SessionAppendTurnsRequest as_turns(const v1::SessionAppendRequest& req) {
  v1::SessionAppendTurnsRequest result;
  result.set_agent(req.agent());
  result.set_session_id(req.session_id());
  auto* turn = result.add_turns();
  turn->set_role(req.role());
  turn->set_content(req.content());
  return result;
}

} // namespace

std::unique_ptr<rocksdb::Iterator> memory_state::iterator() const {
  rocksdb::ReadOptions opts;
  // The family has a prefix extractor; this iterator ignores it.
  opts.total_order_seek = true;
  return std::unique_ptr<rocksdb::Iterator>{
    db->db().NewIterator(opts, db->handle(column::memory))};
}

std::unique_ptr<rocksdb::Iterator> memory_state::session_iterator() const {
  rocksdb::ReadOptions opts;
  opts.prefix_same_as_start = true;
  return std::unique_ptr<rocksdb::Iterator>{
    db->db().NewIterator(opts, db->handle(column::memory))};
}

caf::error memory_state::check_key(const std::string& agent,
                                   const std::string& key) const {
  if (auto err = check_agent(agent))
    return err;
  if (key.empty() || key.find('\0') != std::string::npos)
    return make_error(errc::invalid_argument,
                      "key must be non-empty and hold no NUL byte");
  if (key.size() > limits.max_key_bytes)
    return too_large("key", key.size(), limits.max_key_bytes);
  return caf::none;
}

caf::expected<memory_write>
memory_state::put_write(const v1::MemoryPutRequest& req) const {
  if (auto err = check_key(req.agent(), req.key()))
    return err;
  if (req.value().size() > limits.max_value_bytes)
    return too_large("value", req.value().size(), limits.max_value_bytes);
  return memory_write{memory_kv_prefix(req.agent()) + req.key(), req.value(),
                      false};
}

caf::expected<memory_write>
memory_state::delete_write(const v1::MemoryDeleteRequest& req) const {
  if (auto err = check_key(req.agent(), req.key()))
    return err;
  return memory_write{memory_kv_prefix(req.agent()) + req.key(), {}, true};
}

caf::error memory_state::commit(const std::vector<memory_write>& writes) {
  if (writes.empty())
    return caf::none;
  rocksdb::WriteBatch batch;
  for (const auto& w : writes) {
    auto st = w.erase ? batch.Delete(db->handle(column::memory), w.key)
                      : batch.Put(db->handle(column::memory), w.key, w.value);
    if (!st.ok())
      return from_rocksdb(st, "memory write failed");
  }
  return db->write(batch);
}

template <class Response>
caf::expected<Response>
memory_state::commit(caf::expected<planned<Response>> plan) {
  if (!plan)
    return plan.error();
  if (auto err = commit(plan->writes))
    return err;
  if (plan->stored)
    plan->stored();
  return std::move(plan->response);
}

caf::expected<memory_state::planned<v1::MemoryPutResponse>>
memory_state::plan_put(const v1::MemoryPutRequest& req) {
  auto write = put_write(req);
  if (!write)
    return write.error();
  planned<v1::MemoryPutResponse> result;
  result.writes.push_back(std::move(*write));
  return result;
}

caf::expected<v1::MemoryPutResponse>
memory_state::put(const v1::MemoryPutRequest& req) {
  return commit(plan_put(req));
}

caf::expected<v1::MemoryGetResponse>
memory_state::get(const v1::MemoryGetRequest& req) {
  if (auto err = check_key(req.agent(), req.key()))
    return err;
  auto value
    = db->get(column::memory, memory_kv_prefix(req.agent()) + req.key());
  if (!value)
    return value.error();
  v1::MemoryGetResponse result;
  result.set_found(value->has_value());
  if (*value)
    result.set_value(std::move(**value));
  return result;
}

caf::expected<memory_state::planned<v1::MemoryDeleteResponse>>
memory_state::plan_erase(const v1::MemoryDeleteRequest& req) {
  auto write = delete_write(req);
  if (!write)
    return write.error();
  auto old = db->get(column::memory, write->key);
  if (!old)
    return old.error();
  planned<v1::MemoryDeleteResponse> result;
  result.response.set_existed(old->has_value());
  if (*old)
    result.writes.push_back(std::move(*write));
  return result;
}

caf::expected<v1::MemoryDeleteResponse>
memory_state::erase(const v1::MemoryDeleteRequest& req) {
  return commit(plan_erase(req));
}

caf::expected<v1::MemoryListResponse>
memory_state::list(const v1::MemoryListRequest& req) {
  if (auto err = check_agent(req.agent()))
    return err;
  auto base = memory_kv_prefix(req.agent());
  auto prefix = base + req.prefix();
  auto limit = page_size(req.limit(), default_list_limit);
  auto it = iterator();
  auto start = req.start_after().empty() ? prefix : base + req.start_after();
  it->Seek(start);
  if (!req.start_after().empty() && it->Valid() && it->key() == start)
    it->Next();
  v1::MemoryListResponse result;
  for (; it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (static_cast<uint32_t>(result.entries_size()) == limit) {
      result.set_more(true);
      break;
    }
    auto* entry = result.add_entries();
    entry->set_key(it->key().ToString().substr(base.size()));
    entry->set_value(it->value().ToString());
  }
  if (auto err = from_rocksdb(it->status(), "memory list failed"))
    return err;
  return result;
}

caf::expected<uint64_t> memory_state::last_seq_of(const std::string& prefix) {
  if (auto held = sequences->last(prefix))
    return *held;
  auto it = session_iterator();
  it->SeekForPrev(prefix + big_endian(UINT64_MAX));
  uint64_t result = 0;
  if (it->Valid() && it->key().starts_with(prefix))
    result
      = read_big_endian(std::string_view{it->key().data() + prefix.size(), 8});
  if (auto err = from_rocksdb(it->status(), "session read failed"))
    return err;
  return sequences->reloaded(prefix, result);
}

caf::expected<memory_state::planned_turns>
memory_state::next_turns(const v1::SessionAppendTurnsRequest& req) {
  auto prefix = session_key(req.agent(), req.session_id());
  if (!prefix)
    return prefix.error();
  if (req.turns().empty() || req.turns_size() > max_turns_per_append)
    return make_error(errc::invalid_argument,
                      "turns must hold 1 to "
                        + std::to_string(max_turns_per_append) + " turns");
  for (const auto& x : req.turns()) {
    if (auto err = check_role(x.role()))
      return err;
    if (x.content().size() > limits.max_turn_bytes)
      return too_large("turn", x.content().size(), limits.max_turn_bytes);
  }
  auto last = last_seq_of(*prefix);
  if (!last)
    return last.error();
  planned_turns result;
  auto now = unix_now_ms();
  for (const auto& x : req.turns()) {
    v1::SessionTurn turn;
    turn.set_seq(++*last);
    turn.set_role(x.role());
    turn.set_content(x.content());
    turn.set_time_unix_ms(now);
    // Steps are history detail: those past max_turn_bytes are left out
    // rather than failing the chat that made them.
    size_t step_bytes = 0;
    for (const auto& step : x.steps()) {
      step_bytes += step.ByteSizeLong();
      if (step_bytes > limits.max_turn_bytes)
        break;
      *turn.add_steps() = step;
    }
    if (x.has_usage())
      *turn.mutable_usage() = x.usage();
    result.writes.push_back(
      memory_write{*prefix + big_endian(turn.seq()), turn.SerializeAsString()});
    result.turns.push_back(std::move(turn));
  }
  result.session = std::move(*prefix);
  return result;
}

caf::expected<std::optional<v1::SessionAppendTurnsResponse>>
memory_state::appended_before(const v1::SessionAppendTurnsRequest& req) {
  auto marker
    = db->get(column::memory,
              turn_marker_key(req.agent(), req.session_id(), req.turn_id()));
  if (!marker)
    return marker.error();
  if (!*marker)
    return std::nullopt;
  if ((*marker)->size() != 16)
    return make_error(errc::internal, "corrupt turn marker in the store");
  auto first = read_big_endian(std::string_view{(*marker)->data(), 8});
  auto last = read_big_endian(std::string_view{(*marker)->data() + 8, 8});
  if (first == 0 || last < first)
    return make_error(errc::internal, "corrupt turn marker in the store");
  auto stored = read_store(session_prefix(req.agent(), req.session_id()),
                           last + 1, last - first + 1);
  if (!stored)
    return stored.error();
  v1::SessionAppendTurnsResponse result;
  result.set_first_seq(first);
  result.set_last_seq(last);
  result.set_replayed(true);
  *result.mutable_turns() = std::move(*stored->mutable_turns());
  return result;
}

caf::expected<memory_state::planned<v1::SessionAppendTurnsResponse>>
memory_state::plan_append_turns(const v1::SessionAppendTurnsRequest& req) {
  if (auto err = check_turn_id(req.turn_id()))
    return err;
  auto next = next_turns(req);
  if (!next)
    return next.error();
  planned<v1::SessionAppendTurnsResponse> result;
  if (!req.turn_id().empty()) {
    // The same turn again (its delivery was not acknowledged): what the
    // first append stored, nothing written.
    auto before = appended_before(req);
    if (!before)
      return before.error();
    if (*before) {
      result.response = std::move(**before);
      return result;
    }
  }
  // Numbered before the write: a failed write leaves a gap, and a crash
  // right after the write cannot leave the sequences (kept across
  // restarts) behind the store.
  sequences->assigned(next->session, next->turns.back().seq());
  result.writes = std::move(next->writes);
  if (!req.turn_id().empty()) {
    auto marker = big_endian(next->turns.front().seq())
                  + big_endian(next->turns.back().seq());
    result.writes.push_back(memory_write{
      turn_marker_key(req.agent(), req.session_id(), req.turn_id()),
      std::move(marker)});
  }
  result.response.set_first_seq(next->turns.front().seq());
  result.response.set_last_seq(next->turns.back().seq());
  result.stored = [this, session = std::move(next->session),
                   turns = std::move(next->turns)] {
    cache.appended(session, turns);
  };
  return result;
}

caf::expected<v1::SessionAppendTurnsResponse>
memory_state::append_turns(const v1::SessionAppendTurnsRequest& req) {
  return commit(plan_append_turns(req));
}

caf::expected<v1::SessionAppendResponse>
memory_state::append(const v1::SessionAppendRequest& req) {
  auto appended = append_turns(as_turns(req));
  if (!appended)
    return appended.error();
  v1::SessionAppendResponse result;
  result.set_seq(appended->first_seq());
  return result;
}

caf::expected<v1::SessionReadResponse>
memory_state::read_store(const std::string& prefix, uint64_t before,
                         size_t limit) {
  auto it = session_iterator();
  // Walk backwards from just before `before`, then reverse: oldest first.
  it->SeekForPrev(prefix + big_endian(before - 1));
  v1::SessionReadResponse result;
  std::vector<v1::SessionTurn> turns;
  for (; it->Valid() && it->key().starts_with(prefix); it->Prev()) {
    if (turns.size() == limit) {
      result.set_more(true);
      break;
    }
    v1::SessionTurn turn;
    if (!turn.ParseFromArray(it->value().data(),
                             static_cast<int>(it->value().size())))
      return make_error(errc::internal, "corrupt session turn in the store");
    turns.push_back(std::move(turn));
  }
  if (auto err = from_rocksdb(it->status(), "session read failed"))
    return err;
  for (auto i = turns.rbegin(); i != turns.rend(); ++i)
    *result.add_turns() = std::move(*i);
  return result;
}

void memory_state::maybe_cache(const std::string& prefix,
                               const v1::SessionReadResponse& page) {
  if (auto pending = sequences->pending(prefix)) {
    const auto& turns = page.turns();
    auto seen = std::any_of(turns.begin(), turns.end(),
                            [&](const auto& t) { return t.seq() == *pending; });
    auto older = page.more() && !turns.empty() && *pending < turns[0].seq();
    // Pending or never committed: the cache could miss it for good.
    if (!seen && !older)
      return;
    if (seen)
      sequences->seen(prefix);
  }
  cache.fill(prefix, {page.turns().begin(), page.turns().end()}, page.more());
}

caf::expected<v1::SessionReadResponse>
memory_state::read(const v1::SessionReadRequest& req) {
  auto prefix = session_key(req.agent(), req.session_id());
  if (!prefix)
    return prefix.error();
  size_t limit = page_size(req.limit(), default_read_limit);
  // Older pages are not cached: the store answers them.
  if (req.before_seq() != 0 || !cache.enabled())
    return read_store(
      *prefix, req.before_seq() == 0 ? UINT64_MAX : req.before_seq(), limit);
  if (auto hit = cache.newest(*prefix, limit))
    return std::move(*hit);
  // A miss reads as many turns as the cache holds, for the next turns.
  auto fetch = std::max<size_t>(
    limit, std::min<uint64_t>(limits.session_cache_turns, max_page));
  auto page = read_store(*prefix, UINT64_MAX, fetch);
  if (!page)
    return page.error();
  maybe_cache(*prefix, *page);
  if (static_cast<size_t>(page->turns_size()) > limit) {
    auto drop = page->turns_size() - static_cast<int>(limit);
    page->mutable_turns()->DeleteSubrange(0, drop);
    page->set_more(true);
  }
  return page;
}

namespace {

// The first key after every turn of the session whose key prefix (ending
// in NUL) is `prefix`: session ids hold no control character.
std::string after_session(const std::string& prefix) {
  auto result = prefix;
  result.back() = '\x01';
  return result;
}

caf::expected<v1::SessionTurn> parse_turn(const rocksdb::Slice& value) {
  v1::SessionTurn turn;
  if (!turn.ParseFromArray(value.data(), static_cast<int>(value.size())))
    return make_error(errc::internal, "corrupt session turn in the store");
  return turn;
}

} // namespace

caf::expected<v1::SessionListResponse>
memory_state::list_sessions(const v1::SessionListRequest& req) {
  if (auto err = check_agent(req.agent()))
    return err;
  if (!req.start_after().empty())
    if (auto err = check_session(req.start_after()))
      return err;
  auto base = memory_sessions_base(req.agent());
  auto limit = page_size(req.limit(), default_read_limit);
  auto it = iterator();
  // A skip scan: the first key of the next session, then its newest turn.
  it->Seek(req.start_after().empty()
             ? base
             : after_session(base + req.start_after() + '\0'));
  v1::SessionListResponse result;
  while (it->Valid() && it->key().starts_with(base)) {
    if (static_cast<uint32_t>(result.sessions_size()) == limit) {
      result.set_more(true);
      break;
    }
    auto rest = it->key().ToStringView().substr(base.size());
    auto id = std::string{rest.substr(0, rest.find('\0'))};
    auto prefix = base + id + '\0';
    it->SeekForPrev(prefix + big_endian(UINT64_MAX));
    if (!it->Valid() || !it->key().starts_with(prefix))
      break;
    auto turn = parse_turn(it->value());
    if (!turn)
      return turn.error();
    auto* summary = result.add_sessions();
    summary->set_session_id(id);
    summary->set_last_seq(turn->seq());
    summary->set_last_activity_unix_ms(turn->time_unix_ms());
    it->Seek(after_session(prefix));
  }
  if (auto err = from_rocksdb(it->status(), "session list failed"))
    return err;
  return result;
}

caf::expected<v1::SessionPageResponse>
memory_state::read_page(const v1::SessionPageRequest& req) {
  auto prefix = session_key(req.agent(), req.session_id());
  if (!prefix)
    return prefix.error();
  auto limit = page_size(req.limit(), default_read_limit);
  auto it = iterator();
  v1::SessionPageResponse result;
  if (req.after_seq() == UINT64_MAX)
    it->Seek(after_session(*prefix));
  else
    it->Seek(*prefix + big_endian(req.after_seq() + 1));
  for (; it->Valid() && it->key().starts_with(*prefix); it->Next()) {
    if (static_cast<uint32_t>(result.turns_size()) == limit) {
      result.set_more(true);
      break;
    }
    auto turn = parse_turn(it->value());
    if (!turn)
      return turn.error();
    *result.add_turns() = std::move(*turn);
  }
  if (result.turns_size() == 0 && it->status().ok()) {
    // Past the end, or no session at all: its first key tells.
    it->Seek(*prefix);
    result.set_found(it->Valid() && it->key().starts_with(*prefix));
  } else {
    result.set_found(result.turns_size() > 0);
  }
  if (auto err = from_rocksdb(it->status(), "session read failed"))
    return err;
  return result;
}

namespace {

// Parses the payload of `envelope` as `T`.
template <class T>
caf::expected<T> payload_as(const v1::Envelope& envelope) {
  T msg;
  if (!msg.ParseFromString(envelope.payload()))
    return make_error(errc::invalid_argument,
                      "payload does not parse as " + envelope.type_name());
  return msg;
}

template <class T>
bool is_type(const v1::Envelope& envelope) {
  return envelope.type_name() == T::descriptor()->full_name();
}

} // namespace

caf::expected<std::vector<memory_write>>
memory_state::effect_of(const v1::Envelope& envelope) {
  using writes = std::vector<memory_write>;
  auto one = [](caf::expected<memory_write> x) -> caf::expected<writes> {
    if (!x)
      return x.error();
    return writes{std::move(*x)};
  };
  if (is_type<v1::MemoryPutRequest>(envelope)) {
    auto req = payload_as<v1::MemoryPutRequest>(envelope);
    return req ? one(put_write(*req)) : req.error();
  }
  if (is_type<v1::MemoryDeleteRequest>(envelope)) {
    auto req = payload_as<v1::MemoryDeleteRequest>(envelope);
    return req ? one(delete_write(*req)) : req.error();
  }
  if (is_type<v1::SessionAppendRequest>(envelope)) {
    auto req = payload_as<v1::SessionAppendRequest>(envelope);
    return req ? effect_turns(as_turns(*req)) : req.error();
  }
  if (is_type<v1::SessionAppendTurnsRequest>(envelope)) {
    auto req = payload_as<v1::SessionAppendTurnsRequest>(envelope);
    return req ? effect_turns(*req) : req.error();
  }
  // A read delivered through a mailbox has no effect; its answer would go
  // nowhere.
  if (is_type<v1::MemoryGetRequest>(envelope)
      || is_type<v1::MemoryListRequest>(envelope)
      || is_type<v1::SessionReadRequest>(envelope)
      || is_type<v1::SessionListRequest>(envelope)
      || is_type<v1::SessionPageRequest>(envelope))
    return writes{};
  return make_error(errc::invalid_argument,
                    "memory does not handle " + envelope.type_name());
}

caf::expected<std::vector<memory_write>>
memory_state::effect_turns(const v1::SessionAppendTurnsRequest& req) {
  auto next = next_turns(req);
  if (!next)
    return next.error();
  // Handed out now: the next turn of this session, in this batch or a
  // later one, is numbered after it. The mailbox commits these writes
  // later, or never; until a store read shows them the session is not
  // cached (maybe_cache).
  sequences->handed_out(next->session, next->turns.back().seq());
  cache.invalidate(next->session);
  return std::move(next->writes);
}

caf::expected<v1::EffectResponse>
memory_state::effects(const v1::EffectRequest& req) {
  v1::EffectResponse result;
  for (const auto& entry : req.entries()) {
    auto writes = effect_of(entry.envelope());
    if (!writes) {
      if (!is_permanent_error(writes.error()))
        return writes.error();
      auto* refused = result.add_refused();
      refused->set_seq(entry.seq());
      refused->set_error(render(writes.error()));
      continue;
    }
    for (auto& w : *writes) {
      auto* out = result.add_writes();
      out->set_column(v1::EFFECT_COLUMN_MEMORY);
      out->set_key(std::move(w.key));
      out->set_value(std::move(w.value));
      out->set_erase(w.erase);
    }
  }
  return result;
}

caf::expected<v1::StateChunkResponse>
memory_state::receive_state(const v1::StateChunkRequest& req) {
  const auto& chunk = req.chunk();
  v1::StateChunkResponse resp;
  resp.set_seq(chunk.seq());
  switch (chunks.check(req.from_node(), chunk.agent(), chunk.seq())) {
    case chunk_verdict::repeat: return resp;
    case chunk_verdict::refuse:
      return make_error(errc::invalid_argument,
                        "state chunk " + std::to_string(chunk.seq())
                          + " of agent '" + chunk.agent() + "' from "
                          + req.from_node()
                          + " is out of order; start again at 0");
    case chunk_verdict::apply: break;
  }
  // Forgotten before the write as well as after: nothing read before it
  // may be held across it.
  auto base = memory_sessions_base(chunk.agent());
  cache.invalidate_prefix(base);
  sequences->forget_prefix(base);
  auto applied = apply_state_chunk(*db, chunk);
  if (!applied)
    return applied.error();
  cache.invalidate_prefix(base);
  sequences->forget_prefix(base);
  chunks.applied(req.from_node(), chunk.agent(), chunk.seq());
  resp.set_applied(static_cast<uint32_t>(*applied));
  return resp;
}

namespace {

// A request of a replicated agent: answered once its agent is claimed
// here, after the queued ones, by `serve` (which gets the promise and the
// `done` that starts the next request).
template <class Response, class Serve>
caf::result<Response> when_claimed(memory_pointer self,
                                   std::vector<std::string> agents,
                                   Serve serve) {
  auto rp = self->make_response_promise<Response>();
  memory_flow::run_claimed(
    self, std::move(agents),
    [rp, serve](caf::error err, std::function<void()> done) mutable {
      if (err) {
        rp.deliver(std::move(err));
        return done();
      }
      serve(rp, std::move(done));
    });
  return rp;
}

// A read of a replicated agent's memory.
template <class Response, class Read>
caf::result<Response> read_claimed(memory_pointer self,
                                   const std::string& agent, Read read) {
  return when_claimed<Response>(self, {agent},
                                [read](auto& rp, std::function<void()> done) {
                                  auto x = read();
                                  if (x)
                                    rp.deliver(std::move(*x));
                                  else
                                    rp.deliver(std::move(x.error()));
                                  done();
                                });
}

// A write of a replicated agent's memory: planned, sent to the other
// copy, then made here and answered.
template <class Response, class Plan>
caf::result<Response> write_claimed(memory_pointer self,
                                    const std::string& agent, Plan plan) {
  return when_claimed<Response>(
    self, {agent}, [self, agent, plan](auto& rp, std::function<void()> done) {
      auto planned = plan();
      if (!planned) {
        rp.deliver(std::move(planned.error()));
        return done();
      }
      auto shared = std::make_shared<memory_state::planned<Response>>(
        std::move(*planned));
      memory_flow::replicate(self, agent, shared->writes,
                             [self, shared, rp, done](caf::error err) mutable {
                               if (!err)
                                 err = self->state.commit(shared->writes);
                               if (err) {
                                 rp.deliver(std::move(err));
                                 return done();
                               }
                               if (shared->stored)
                                 shared->stored();
                               rp.deliver(std::move(shared->response));
                               done();
                             });
    });
}

// The replicated agents that the envelopes of `req` write to.
std::vector<std::string> replicated_agents(memory_pointer self,
                                           const v1::EffectRequest& req) {
  std::vector<std::string> result;
  for (const auto& entry : req.entries()) {
    const auto& envelope = entry.envelope();
    auto agent
      = memory_partition(memory_path, envelope.type_name(), envelope.payload());
    if (agent && memory_flow::replicated(self, *agent)
        && std::find(result.begin(), result.end(), *agent) == result.end())
      result.push_back(std::move(*agent));
  }
  return result;
}

using agent_writes = std::map<std::string, std::vector<memory_write>>;

// Sends each group of `writes` to its agent's other copy, one after the
// other; `then` gets the first failure or none.
void replicate_all(memory_pointer self, std::shared_ptr<agent_writes> writes,
                   agent_writes::iterator next,
                   std::function<void(caf::error)> then) {
  if (next == writes->end())
    return then(caf::none);
  memory_flow::replicate(self, next->first, next->second,
                         [self, writes, next, then](caf::error err) {
                           if (err)
                             return then(err);
                           replicate_all(self, writes, std::next(next), then);
                         });
}

// The effects of a batch that writes replicated agents: computed once
// they are claimed, sent to their copies, then handed to the mailbox.
caf::result<v1::EffectResponse>
effects_claimed(memory_pointer self, const v1::EffectRequest& req,
                std::vector<std::string> agents) {
  return when_claimed<v1::EffectResponse>(
    self, std::move(agents), [self, req](auto& rp, std::function<void()> done) {
      auto resp = self->state.effects(req);
      if (!resp) {
        rp.deliver(std::move(resp.error()));
        return done();
      }
      auto writes = std::make_shared<agent_writes>();
      for (const auto& w : resp->writes()) {
        auto agent = memory_keys::agent_of(w.key());
        if (agent && memory_flow::replicated(self, *agent))
          (*writes)[*agent].push_back(
            memory_write{w.key(), w.value(), w.erase()});
      }
      auto shared = std::make_shared<v1::EffectResponse>(std::move(*resp));
      replicate_all(self, writes, writes->begin(),
                    [shared, rp, done](caf::error err) mutable {
                      if (err)
                        rp.deliver(std::move(err));
                      else
                        rp.deliver(std::move(*shared));
                      done();
                    });
    });
}

} // namespace

memory_actor::behavior_type memory(memory_pointer self, store* db,
                                   memory_options limits,
                                   session_cache_metrics metrics,
                                   std::shared_ptr<session_sequences> sequences,
                                   memory_replication_env replication,
                                   memory_replica_metrics replica_metrics) {
  self->state.db = db;
  self->state.limits = limits;
  self->state.sequences
    = sequences ? std::move(sequences)
                : std::make_shared<session_sequences>(
                  static_cast<size_t>(limits.sequence_cache_sessions));
  self->state.cache
    = session_cache{{limits.session_cache_sessions, limits.session_cache_turns,
                     limits.session_cache_bytes},
                    metrics};
  self->state.replicas.env = std::move(replication);
  self->state.replicas.metrics = replica_metrics;
  // Each handler answers with the value or the error of one state member.
  auto reply = [](auto&& x) -> caf::result<std::decay_t<decltype(*x)>> {
    if (!x)
      return std::move(x.error());
    return std::move(*x);
  };
  auto& st = self->state;
  using memory_flow::replicated;
  return {
    [self, reply](
      const v1::MemoryPutRequest& req) -> caf::result<v1::MemoryPutResponse> {
      if (!replicated(self, req.agent()))
        return reply(self->state.put(req));
      return write_claimed<v1::MemoryPutResponse>(
        self, req.agent(), [self, req] { return self->state.plan_put(req); });
    },
    [self, reply](
      const v1::MemoryGetRequest& req) -> caf::result<v1::MemoryGetResponse> {
      if (!replicated(self, req.agent()))
        return reply(self->state.get(req));
      return read_claimed<v1::MemoryGetResponse>(
        self, req.agent(), [self, req] { return self->state.get(req); });
    },
    [self, reply](const v1::MemoryDeleteRequest& req)
      -> caf::result<v1::MemoryDeleteResponse> {
      if (!replicated(self, req.agent()))
        return reply(self->state.erase(req));
      return write_claimed<v1::MemoryDeleteResponse>(
        self, req.agent(), [self, req] { return self->state.plan_erase(req); });
    },
    [self, reply](
      const v1::MemoryListRequest& req) -> caf::result<v1::MemoryListResponse> {
      if (!replicated(self, req.agent()))
        return reply(self->state.list(req));
      return read_claimed<v1::MemoryListResponse>(
        self, req.agent(), [self, req] { return self->state.list(req); });
    },
    [self, reply](const v1::SessionAppendRequest& req)
      -> caf::result<v1::SessionAppendResponse> {
      if (!replicated(self, req.agent()))
        return reply(self->state.append(req));
      return write_claimed<v1::SessionAppendResponse>(
        self, req.agent(),
        [self, req]()
          -> caf::expected<memory_state::planned<v1::SessionAppendResponse>> {
          auto turns = self->state.plan_append_turns(as_turns(req));
          if (!turns)
            return turns.error();
          memory_state::planned<v1::SessionAppendResponse> result;
          result.writes = std::move(turns->writes);
          result.stored = std::move(turns->stored);
          result.response.set_seq(turns->response.first_seq());
          return result;
        });
    },
    [self, reply](const v1::SessionAppendTurnsRequest& req)
      -> caf::result<v1::SessionAppendTurnsResponse> {
      if (!replicated(self, req.agent()))
        return reply(self->state.append_turns(req));
      return write_claimed<v1::SessionAppendTurnsResponse>(
        self, req.agent(),
        [self, req] { return self->state.plan_append_turns(req); });
    },
    [self, reply](const v1::SessionReadRequest& req)
      -> caf::result<v1::SessionReadResponse> {
      if (!replicated(self, req.agent()))
        return reply(self->state.read(req));
      return read_claimed<v1::SessionReadResponse>(
        self, req.agent(), [self, req] { return self->state.read(req); });
    },
    [self, reply](const v1::SessionListRequest& req)
      -> caf::result<v1::SessionListResponse> {
      if (!replicated(self, req.agent()))
        return reply(self->state.list_sessions(req));
      return read_claimed<v1::SessionListResponse>(
        self, req.agent(),
        [self, req] { return self->state.list_sessions(req); });
    },
    [self, reply](const v1::SessionPageRequest& req)
      -> caf::result<v1::SessionPageResponse> {
      if (!replicated(self, req.agent()))
        return reply(self->state.read_page(req));
      return read_claimed<v1::SessionPageResponse>(
        self, req.agent(), [self, req] { return self->state.read_page(req); });
    },
    [self,
     reply](const v1::EffectRequest& req) -> caf::result<v1::EffectResponse> {
      auto agents = replicated_agents(self, req);
      if (agents.empty())
        return reply(self->state.effects(req));
      return effects_claimed(self, req, std::move(agents));
    },
    [&st, reply](const v1::EpochClaimRequest& req) {
      return reply(memory_flow::on_claim(st, req));
    },
    [&st, reply](const v1::ReplicaWriteRequest& req) {
      return reply(memory_flow::on_change(st, req));
    },
    [&st, reply](const v1::AgentStatePageRequest& req) {
      return reply(memory_flow::on_page(st, req));
    },
    [&st, reply](const v1::AgentStateLoadRequest& req) {
      return reply(memory_flow::on_load(st, req));
    },
    [self, reply](const v1::StateChunkRequest& req) {
      return reply(self->state.receive_state(req));
    },
  };
}

} // namespace bsm
