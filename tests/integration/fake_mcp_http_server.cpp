#include "fake_mcp_http_server.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>

#include "runtime/error.hpp"
#include "runtime/http/http_metrics.hpp"
#include "scripted_upstream.hpp"

namespace bsm::test {

namespace bhttp = boost::beast::http;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

void answer(const http::exchange_ptr& ex, bhttp::status status,
            const std::string& body = {}, const std::string& session = {}) {
  http::response res{status, 11};
  if (!body.empty())
    res.set(bhttp::field::content_type, "application/json");
  if (!session.empty())
    res.set("Mcp-Session-Id", session);
  res.body() = body;
  ex->respond(std::move(res));
}

void open_events(const http::exchange_ptr& ex) {
  http::response head{bhttp::status::ok, 11};
  head.set(bhttp::field::content_type, "text/event-stream");
  ex->open_stream(std::move(head));
}

std::string result(const json& id, json value) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(value)}}
    .dump();
}

json text_result(const std::string& text) {
  return {{"content", {{{"type", "text"}, {"text", text}}}}};
}

json tool(const std::string& name) {
  return {{"name", name},
          {"description", "the " + name + " tool"},
          {"inputSchema", {{"type", "object"}}}};
}

} // namespace

fake_mcp_http_server::fake_mcp_http_server()
  : http_metrics_(http::http_metrics::make(registry_)) {
  server_ = start_loopback_server(
    [this](const http::exchange_ptr& ex) { on_request(ex); },
    http_metrics_.get());
}

fake_mcp_http_server::~fake_mcp_http_server() {
  server_->drain(1s);
}

std::string fake_mcp_http_server::url() const {
  return "http://" + server_->address() + "/mcp";
}

void fake_mcp_http_server::forget_session() {
  std::lock_guard<std::mutex> guard{mtx_};
  current_.clear();
}

std::vector<std::string> fake_mcp_http_server::sessions() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return sessions_;
}

std::vector<mcp_http_request> fake_mcp_http_server::seen() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return seen_;
}

void fake_mcp_http_server::on_request(const http::exchange_ptr& ex) {
  const auto& req = ex->req();
  auto msg = json::parse(req.body(), nullptr, false);
  std::lock_guard<std::mutex> guard{mtx_};
  mcp_http_request seen;
  seen.verb = std::string{req.method_string()};
  seen.session_id = std::string{req["Mcp-Session-Id"]};
  seen.protocol_version = std::string{req["MCP-Protocol-Version"]};
  seen.last_event_id = std::string{req["Last-Event-ID"]};
  seen.accept = std::string{req[bhttp::field::accept]};
  seen.authorization = std::string{req[bhttp::field::authorization]};
  if (msg.is_object())
    seen.method = msg.value("method", std::string{});
  seen_.push_back(seen);
  if (ex->path() != "/mcp")
    return answer(ex, bhttp::status::not_found);
  bool initialize = seen.method == "initialize";
  if (!initialize && seen.session_id.empty())
    return answer(ex, bhttp::status::bad_request);
  if (!initialize && seen.session_id != current_)
    return answer(ex, bhttp::status::not_found);
  if (req.method() == bhttp::verb::delete_) {
    current_.clear();
    return answer(ex, bhttp::status::ok);
  }
  if (req.method() == bhttp::verb::get) {
    if (seen.last_event_id != "ev-1" || resumable_id_.is_null())
      return answer(ex, bhttp::status::method_not_allowed);
    open_events(ex);
    ex->write("id: ev-2\ndata: "
              + result(resumable_id_, text_result("resumed after ev-1"))
              + "\n\n");
    resumable_id_ = nullptr;
    return ex->end_stream();
  }
  on_post(ex, msg);
}

void fake_mcp_http_server::on_post(const http::exchange_ptr& ex,
                                   const json& msg) {
  if (!msg.is_object())
    return answer(ex, bhttp::status::bad_request);
  auto method = msg.value("method", std::string{});
  if (!msg.contains("id") || method.empty())
    return answer(ex, bhttp::status::accepted);
  const auto& id = msg["id"];
  if (method == "initialize") {
    current_ = "session-" + std::to_string(sessions_.size() + 1);
    sessions_.push_back(current_);
    return answer(
      ex, bhttp::status::ok,
      result(id, {{"protocolVersion", "2025-11-25"},
                  {"capabilities", {{"tools", json::object()}}},
                  {"serverInfo", {{"name", "fake-http"}, {"version", "1"}}}}),
      current_);
  }
  if (method == "tools/list")
    return answer(
      ex, bhttp::status::ok,
      result(id, {{"tools",
                   {tool("echo"), tool("resumable"), tool("unresumable")}}}));
  if (method == "tools/call")
    return call_tool(ex, msg);
  answer(ex, bhttp::status::ok,
         json{{"jsonrpc", "2.0"},
              {"id", id},
              {"error", {{"code", -32601}, {"message", "Method not found"}}}}
           .dump());
}

void fake_mcp_http_server::call_tool(const http::exchange_ptr& ex,
                                     const json& msg) {
  const auto& id = msg["id"];
  auto params = msg.value("params", json::object());
  auto name = params.value("name", std::string{});
  open_events(ex);
  if (name == "echo") {
    auto args = params.value("arguments", json::object());
    json note{{"jsonrpc", "2.0"},
              {"method", "notifications/message"},
              {"params", {{"level", "info"}, {"data", "echoing"}}}};
    ex->write("id: e-1\ndata: " + note.dump() + "\n\n");
    ex->write(
      "id: e-2\ndata: "
      + result(id, text_result("Echo: " + args.value("message", std::string{})))
      + "\n\n");
  } else if (name == "resumable") {
    resumable_id_ = id;
    ex->write("id: ev-1\nretry: 50\ndata: \n\n");
  }
  // "unresumable" and anything else: closed with no event.
  ex->end_stream();
}

} // namespace bsm::test
