#pragma once

// A durable mailbox or an outbox on CAF's deterministic scheduler (the
// test coordinator of caf/test/dsl.hpp): the test decides when messages
// are handled and when time passes, over a real store, store writer and
// mailbox reader. The reader runs on the same deterministic scheduler.
//
// The store writer runs on its own thread and some of its completions send
// a message to the mailbox; `settle()` therefore waits for the writer (a
// barrier write) before each message it lets an actor handle, so the writer
// never enqueues while the test thread runs the scheduler.

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>

#include "actors/mailbox_core.hpp"
#include "actors/mailbox_reader.hpp"
#include "runtime/error.hpp"
#include "runtime/mailbox/mailbox_store.hpp"
#include "runtime/system_config.hpp"
#include "tests/common/temp_dir.hpp"

// Last: it defines lowercase macros (expect, allow, ...). Its helpers that
// call a FAIL function (never used here) must not see gtest's FAIL macro.
#pragma push_macro("FAIL")
#undef FAIL
#include <caf/test/dsl.hpp>
#pragma pop_macro("FAIL")

namespace bsm::test {

/// What a `holder` got: the requests, and their promises until answered.
template <class Request, class Response>
struct held_requests {
  std::vector<Request> got;
  std::vector<caf::typed_response_promise<Response>> held;
};

/// Stands in for the actor a mailbox delivers to (a local target, a
/// peer's cluster port): holds each `Request` until the test answers it
/// with ("answer", i, Response or caf::error), i counting from 0. The
/// promise is delivered in this actor's own context, as CAF requires.
template <class Request, class Response>
caf::behavior holder(caf::event_based_actor* self,
                     std::shared_ptr<held_requests<Request, Response>> log) {
  return {
    [self, log](Request& req) -> caf::result<Response> {
      log->got.push_back(std::move(req));
      log->held.push_back(self->make_response_promise<Response>());
      return log->held.back();
    },
    [log](caf::atom_value, uint64_t i, Response& resp) {
      log->held.at(i).deliver(std::move(resp));
    },
    [log](caf::atom_value, uint64_t i, caf::error& err) {
      log->held.at(i).deliver(std::move(err));
    },
  };
}

class deterministic_mailbox
  : public ::testing::Test,
    public test_coordinator_fixture<bsm::system_config> {
protected:
  deterministic_mailbox();

  ~deterministic_mailbox() override;

  /// Puts `n` envelopes for `target` on disk (seq `from`..), as a node
  /// that stopped would have left them. Payload: a PingRequest whose
  /// sequence is the envelope's seq.
  void leave_on_disk(const std::string& target, uint64_t from, uint64_t n);

  /// Handles messages until nothing is left to do without time passing,
  /// including what the store writer sends back meanwhile.
  void settle();

  /// Returns once every write submitted so far is done and its
  /// completion ran.
  void wait_for_writer();

  /// Lets `d` pass on the actors' clock, then settles.
  void pass(std::chrono::milliseconds d);

  /// Everything the mailbox environment needs, over this fixture.
  mailbox_env make_env();

  /// Answers request `i` held by the holder `hdl`, then settles.
  template <class Answer>
  void answer(const caf::actor& hdl, uint64_t i, Answer x) {
    caf::anon_send(hdl, caf::atom("answer"), i, std::move(x));
    settle();
  }

  /// Stops `hdl` and lets it go.
  template <class Handle>
  void stop(Handle& hdl) {
    caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
    settle();
    hdl = nullptr;
  }

  temp_dir dir_;
  std::unique_ptr<store> db;
  std::unique_ptr<store_writer> writer;
  type_registry types = type_registry::with_bsm_v1_types();
  std::shared_ptr<name_registry> names = std::make_shared<name_registry>();
  metrics::registry registry;
  mailbox_metrics metrics = mailbox_metrics::make(registry);
  mailbox_options opts;
  mailbox_reader_actor reader;
};

} // namespace bsm::test
