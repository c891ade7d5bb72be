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
// - `unresumable`: an event stream closed with no event at all.
// Notifications and answers get 202; GET without Last-Event-ID gets 405;
// DELETE ends the session. Requests (but initialize) without the current
// session id get 400, with a forgotten one 404.
//
// Thread-safety: every member may be called from any thread.

#include <memory>
#include <mutex>
#include <string>
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

private:
  void on_request(const http::exchange_ptr& ex);
  void on_post(const http::exchange_ptr& ex, const nlohmann::json& msg);
  void call_tool(const http::exchange_ptr& ex, const nlohmann::json& msg);

  metrics::registry registry_;
  std::unique_ptr<http::http_metrics> http_metrics_;
  mutable std::mutex mtx_;
  std::vector<mcp_http_request> seen_;
  std::vector<std::string> sessions_;
  std::string current_;
  /// The id of the `resumable` call waiting for its GET.
  nlohmann::json resumable_id_;
  std::unique_ptr<http::server> server_;
};

} // namespace bsm::test
