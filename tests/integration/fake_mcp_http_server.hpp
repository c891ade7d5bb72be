#pragma once

// A Streamable HTTP MCP server for tests: the project's own HTTP server on
// 127.0.0.1:0 in the test process, serving one endpoint "/mcp" and
// recording every request. It knows initialize (a new session id each
// time), tools/list (`echo`, `resumable`, `unresumable`) and tools/call:
// - `echo {message}`: an event stream with a log notification, then the
//   answer "Echo: <message>";
// - `resumable`: an event stream that sends a priming event (`id: ev-1`,
//   `retry: 50`, no data) and closes; a GET with `Last-Event-ID: ev-1`
//   then gets the answer "resumed after ev-1" (`id: ev-2`);
// - `unresumable`: an event stream closed with no event at all;
// - `elicit {schema?}`, `sample {text}`, `roots`: the stream carries the
//   server's request (elicitation/create with `schema` or the conformance
//   suite's SEP-1034 schema; sampling/createMessage of `text`; roots/list)
//   and stays open until the client POSTs its answer; the tool's text is
//   then that answer as JSON ({"result":...} or {"error":...});
// - `progress {steps, interval_ms}`: `steps` progress notifications for
//   the call's progress token, one every `interval_ms` (from a thread of
//   the server), then the answer "done after <steps> steps".
// Notifications and answers get 202; GET without Last-Event-ID gets 405;
// DELETE ends the session. Requests (but initialize) without the current
// session id get 400, with a forgotten one 404.
//
// Thread-safety: every member may be called from any thread.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/http/exchange.hpp"
#include "runtime/http/server.hpp"
#include "runtime/metrics/registry.hpp"

namespace bsm::test {

/// What the server saw of one request.
struct mcp_http_request {
  std::string verb;
  std::string session_id;
  std::string protocol_version;
  std::string last_event_id;
  std::string accept;
  std::string authorization;
  /// The JSON-RPC method of a POST ("" for an answer or another verb).
  std::string method;
};

class fake_mcp_http_server {
public:
  /// Listens on 127.0.0.1:0. Throws std::runtime_error if it cannot.
  fake_mcp_http_server();
  ~fake_mcp_http_server();

  fake_mcp_http_server(const fake_mcp_http_server&) = delete;
  fake_mcp_http_server& operator=(const fake_mcp_http_server&) = delete;

  /// "http://127.0.0.1:PORT/mcp".
  std::string url() const;

  /// Forgets the current session: its next request gets 404.
  void forget_session();

  /// The session ids handed out, oldest first.
  std::vector<std::string> sessions() const;

  std::vector<mcp_http_request> seen() const;

  /// The params of the last initialize (the client's capabilities).
  nlohmann::json initialize_params() const;

  /// The progress tokens of the calls so far (null for a call without).
  std::vector<nlohmann::json> progress_tokens() const;

private:
  void on_request(const http::exchange_ptr& ex);
  void on_post(const http::exchange_ptr& ex, const nlohmann::json& msg);
  void call_tool(const http::exchange_ptr& ex, const nlohmann::json& msg);
  void ask_client(const http::exchange_ptr& ex, const nlohmann::json& call_id,
                  const std::string& method, nlohmann::json params);
  void take_answer(const nlohmann::json& msg);
  void send_progress(http::exchange_ptr ex, nlohmann::json call_id,
                     nlohmann::json token, int steps,
                     std::chrono::milliseconds interval);

  /// A call whose stream waits for the client's answer to a request.
  struct waiting_call {
    http::exchange_ptr ex;
    nlohmann::json call_id;
  };

  metrics::registry registry_;
  std::unique_ptr<http::http_metrics> http_metrics_;
  mutable std::mutex mtx_;
  std::vector<mcp_http_request> seen_;
  std::vector<std::string> sessions_;
  std::string current_;
  /// The id of the `resumable` call waiting for its GET.
  nlohmann::json resumable_id_;
  nlohmann::json initialize_params_;
  std::vector<nlohmann::json> progress_tokens_;
  /// By the id of the server's request.
  std::map<std::string, waiting_call> waiting_;
  int next_request_ = 1;
  std::vector<std::thread> workers_;
  std::unique_ptr<http::server> server_;
};

} // namespace bsm::test
