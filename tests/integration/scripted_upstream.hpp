#pragma once

// A scripted OpenAI-compatible upstream for tests: the project's own HTTP
// server on 127.0.0.1:0, in the test process, answering each request with
// the next reply of a script and recording what it saw. Used by the client
// and provider tests (openai_client_test.cpp) and by agents on real nodes
// (agent_loop_test.cpp), which reach it through `openai.base_url`.
//
// Thread-safety: push*(), repeat(), seen() and the waits may be called from
// any thread while the server answers on its own.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/http/exchange.hpp"
#include "runtime/http/server.hpp"
#include "runtime/metrics/registry.hpp"

namespace bsm::test {

/// What the upstream saw of one request.
struct seen_request {
  std::string target;
  std::string authorization;
  std::string accept;
  /// The parsed body (discarded if it was no JSON).
  nlohmann::json body;
};

/// One scripted answer: it answers the exchange (now or later).
using upstream_reply = std::function<void(const http::exchange_ptr&)>;

/// A JSON answer with `status`, `body` and extra `headers`.
upstream_reply
json_reply(unsigned status, nlohmann::json body,
           std::vector<std::pair<std::string, std::string>> headers = {});

/// A text/event-stream answer: each entry becomes "data: <entry>\n\n".
upstream_reply sse_reply(std::vector<std::string> events);

/// A chat.completion whose message has `content`, finish_reason "stop".
nlohmann::json completion(const std::string& content);

/// One entry of a message's "tool_calls": a function call with `arguments`
/// (a JSON text, as the wire carries it).
nlohmann::json tool_call(const std::string& id, const std::string& name,
                         const std::string& arguments);

/// A chat.completion whose message asks for `calls` (tool_call() entries),
/// finish_reason "tool_calls".
nlohmann::json tool_calls_completion(nlohmann::json calls);

/// The project's HTTP server on 127.0.0.1:0 passing every request to
/// `handler`, as the test servers use it. Throws std::runtime_error if it
/// cannot listen.
std::unique_ptr<http::server>
start_loopback_server(std::function<void(const http::exchange_ptr&)> handler,
                      http::http_metrics* metrics);

/// A chat.completion.chunk with one fragment of the tool call at `index`:
/// its first (id, type and name, and `arguments`) when `id` is set, else
/// the next piece of its arguments. As JSON text.
std::string tool_call_chunk(int index, const std::string& id,
                            const std::string& name,
                            const std::string& arguments);

/// OpenAI's error shape.
nlohmann::json error_body(const std::string& message, const std::string& type);

/// One chat.completion.chunk with `delta` and `finish`, as JSON text.
std::string chunk(const nlohmann::json& delta,
                  const nlohmann::json& finish = nullptr);

class scripted_upstream {
public:
  /// Listens on 127.0.0.1:0. Throws std::runtime_error if it cannot.
  scripted_upstream();

  /// Wakes delayed replies that still wait (they answer nothing), joins
  /// their threads and stops the server.
  ~scripted_upstream();

  scripted_upstream(const scripted_upstream&) = delete;
  scripted_upstream& operator=(const scripted_upstream&) = delete;

  /// "http://127.0.0.1:PORT/v1".
  std::string base_url() const;

  /// Appends `r` to the script.
  void push(upstream_reply r);

  /// Appends a reply that answers with `r` after `delay`, from a thread of
  /// its own. The wait ends early, without an answer, when the client goes
  /// away (e.g. a killed node) or the upstream is destroyed.
  void push_delayed(std::chrono::milliseconds delay, upstream_reply r);

  /// Appends a reply that answers with `r` only once release() was called,
  /// so the request stays in flight as long as the test wants. Ends early
  /// like push_delayed().
  void push_held(upstream_reply r);

  /// Appends a text/event-stream answer that writes `first` (each entry
  /// as "data: <entry>\n\n") at once and `rest` only once release() was
  /// called: an upstream that trickles its tokens.
  void push_trickled(std::vector<std::string> first,
                     std::vector<std::string> rest);

  /// Appends `r` to the script of the requests whose last message's
  /// content is `input`: such a request takes the first of those replies,
  /// ahead of the common script (which it leaves as it is), so parallel
  /// requests are told apart by what they ask.
  void push_for(const std::string& input, upstream_reply r);

  /// As push_for(), answering only once release() was called (push_held()).
  void push_held_for(const std::string& input, upstream_reply r);

  /// Lets held replies answer: those waiting now and those pushed later.
  void release();

  /// Holds replies again after a release(): those pushed from now on, and
  /// any still waiting, answer at the next release().
  void hold();

  /// The reply for every request once the script is empty. Default: a 500
  /// "script exhausted".
  void repeat(upstream_reply r);

  /// As repeat(), each answer after `delay` from a thread of its own and
  /// ending early like push_delayed(): a slow upstream that still answers
  /// requests in parallel.
  void repeat_delayed(std::chrono::milliseconds delay, upstream_reply r);

  std::vector<seen_request> seen() const;

  size_t requests() const;

  /// Waits until at least `n` requests arrived; false after `timeout`.
  bool await_requests(size_t n, std::chrono::milliseconds timeout) const;

private:
  void on_request(const http::exchange_ptr& ex);

  /// Appends a reply that answers with `r` from a thread of its own once
  /// `ready()` holds (checked under mtx_) or `delay` passed, whichever
  /// comes first; nothing if the client or the upstream goes first.
  void push_waiting(std::function<bool()> ready,
                    std::chrono::milliseconds delay, upstream_reply r);

  /// The reply push_waiting() appends: it runs under mtx_ (from
  /// on_request) and starts the thread that waits and answers.
  upstream_reply waiting_reply(std::function<bool()> ready,
                               std::chrono::milliseconds delay,
                               upstream_reply r);

  metrics::registry registry_;
  std::unique_ptr<http::http_metrics> http_metrics_;
  mutable std::mutex mtx_;
  mutable std::condition_variable changed_;
  std::deque<upstream_reply> script_;
  /// push_for()'s scripts, by the last message's content.
  std::map<std::string, std::deque<upstream_reply>> keyed_;
  upstream_reply fallback_;
  std::vector<seen_request> seen_;
  bool stopping_ = false;
  bool released_ = false;
  // Only touched under mtx_ (from on_request) and after the server's last
  // request in the destructor.
  std::vector<std::thread> delayed_;
  std::unique_ptr<http::server> server_;
};

} // namespace bsm::test
