#pragma once

// Copies one agent's state (runtime/store/agent_state.hpp) from this
// node's store to the memory of a node, this one or another: the sending
// side of a hand-off (a node that leaves gives its agents to their new
// owners) and of a replica's catch-up. A state_chunker reads the chunks
// from one snapshot; one chunk is in flight at a time and the next goes
// once the receiver answered (memory_state::receive_state writes each
// atomically). A chunk that fails is sent again, up to `max_attempts`
// sends; a receiver that refuses a chunk as out of order (it lost its
// place) gets the whole transfer again from chunk 0 on a new snapshot,
// once.
//
// REQUIRES: `self` is a detached actor (the chunker reads the store) and
// `db` outlives the transfer.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <caf/error.hpp>

#include "actors/memory_partition.hpp"
#include "actors/remote_call.hpp"
#include "runtime/store/state_chunker.hpp"

namespace bsm {

struct state_transfer_options {
  chunk_limits limits;
  /// How long one chunk waits for its answer. Default: 30 s.
  std::chrono::milliseconds chunk_timeout{30000};
  /// Sends of one chunk before the transfer fails. Default: 3.
  uint32_t max_attempts = 3;
};

/// What a transfer did: chunks answered, entries and key and value bytes
/// in them; `error` is none once the last chunk was answered.
struct state_transfer_result {
  std::string agent;
  std::string to_node;
  uint64_t chunks = 0;
  uint64_t entries = 0;
  uint64_t bytes = 0;
  caf::error error;
};

using state_transfer_done = std::function<void(state_transfer_result)>;

namespace detail {

/// One transfer in progress; lives as long as a request of it is out.
struct state_transfer_run {
  remote_call_env env;
  const store* db = nullptr;
  state_transfer_options opts;
  std::unique_ptr<state_chunker> chunker;
  v1::StateChunk current;
  uint32_t attempts = 0;
  bool restarted = false;
  state_transfer_result result;
  state_transfer_done done;

  /// The request for the current chunk, from this node.
  v1::StateChunkRequest request() const;

  /// Reads the next chunk into `current`. Errors: the chunker's.
  caf::error read_next();

  /// Counts the current chunk as answered; true if it was the last.
  bool answered();

  /// Starts again at chunk 0 if the receiver lost its place and that was
  /// not tried yet; false otherwise.
  bool restart_on(const caf::error& err);

  void finish(caf::error err);
};

/// Where `req` goes: the memory of `node` (here: its local handle).
caf::expected<call_route> route_to_memory(const remote_call_env& env,
                                          const std::string& node);

/// An answer of a remote memory, decoded.
caf::expected<v1::StateChunkResponse>
decode_chunk_reply(const remote_call_env& env, const v1::RemoteAskResponse& r);

template <class Self>
void send_chunk(Self* self, std::shared_ptr<state_transfer_run> run);

template <class Self>
void chunk_failed(Self* self, std::shared_ptr<state_transfer_run> run,
                  caf::error err) {
  if (run->restart_on(err)) {
    if (auto read = run->read_next())
      return run->finish(std::move(read));
    return send_chunk(self, std::move(run));
  }
  if (run->attempts >= run->opts.max_attempts)
    return run->finish(std::move(err));
  send_chunk(self, std::move(run));
}

template <class Self>
void chunk_answered(Self* self, std::shared_ptr<state_transfer_run> run) {
  if (run->answered())
    return run->finish(caf::none);
  if (auto err = run->read_next())
    return run->finish(std::move(err));
  send_chunk(self, std::move(run));
}

template <class Self>
void send_chunk(Self* self, std::shared_ptr<state_transfer_run> run) {
  ++run->attempts;
  auto route = route_to_memory(run->env, run->result.to_node);
  if (!route)
    return chunk_failed(self, std::move(run), std::move(route.error()));
  caf::duration timeout{run->opts.chunk_timeout};
  auto on_error = [self, run](caf::error& err) {
    chunk_failed(self, run, std::move(err));
  };
  if (route->local) {
    self
      ->request(caf::actor_cast<memory_actor>(route->local), timeout,
                run->request())
      .then([self, run](v1::StateChunkResponse&) { chunk_answered(self, run); },
            on_error);
    return;
  }
  auto ask
    = make_remote_ask(run->env, memory_path, caf::make_message(run->request()),
                      run->opts.chunk_timeout);
  if (!ask)
    return chunk_failed(self, std::move(run), std::move(ask.error()));
  self
    ->request(caf::actor_cast<cluster_ingress_actor>(route->remote), timeout,
              std::move(*ask))
    .then(
      [self, run](v1::RemoteAskResponse& resp) {
        auto reply = decode_chunk_reply(run->env, resp);
        if (!reply)
          return chunk_failed(self, run, std::move(reply.error()));
        chunk_answered(self, run);
      },
      on_error);
}

} // namespace detail

/// Starts the transfer of `agent`'s state from `db` to the memory of
/// `to_node` (this node's own memory for its own name, or when `env` has no
/// directory). `done` runs once, in `self`'s context, with the outcome.
template <class Self>
void transfer_state(Self* self, const remote_call_env& env, const store& db,
                    std::string agent, std::string to_node,
                    state_transfer_options opts, state_transfer_done done) {
  auto run = std::make_shared<detail::state_transfer_run>();
  run->env = env;
  run->db = &db;
  run->opts = opts;
  run->result.agent = std::move(agent);
  run->result.to_node = std::move(to_node);
  run->done = std::move(done);
  run->chunker
    = std::make_unique<state_chunker>(db, run->result.agent, opts.limits);
  if (auto err = run->read_next())
    return run->finish(std::move(err));
  detail::send_chunk(self, std::move(run));
}

} // namespace bsm
