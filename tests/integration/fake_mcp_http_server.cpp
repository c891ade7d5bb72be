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

// The conformance suite's elicitation-sep1034-client-defaults schema.
constexpr const char* sep1034_schema = R"({"type":"object","properties":{
  "name":{"type":"string","default":"John Doe"},
  "age":{"type":"integer","default":30},
  "score":{"type":"number","default":95.5},
  "status":{"type":"string","enum":["active","inactive","pending"],
            "default":"active"},
  "verified":{"type":"boolean","default":true}},"required":[]})";

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
  for (auto& worker : workers_)
    worker.join();
  server_->drain(1s);
}

nlohmann::json fake_mcp_http_server::initialize_params() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return initialize_params_;
}

std::vector<nlohmann::json> fake_mcp_http_server::progress_tokens() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return progress_tokens_;
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
  if (!msg.contains("id") || method.empty()) {
    take_answer(msg);
    return answer(ex, bhttp::status::accepted);
  }
  const auto& id = msg["id"];
  if (method == "initialize") {
    initialize_params_ = msg.value("params", json::object());
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
                   {tool("echo"), tool("resumable"), tool("unresumable"),
                    tool("elicit"), tool("sample"), tool("roots"),
                    tool("progress")}}}));
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
  auto args = params.value("arguments", json::object());
  auto token
    = params.value("_meta", json::object()).value("progressToken", json{});
  progress_tokens_.push_back(token);
  open_events(ex);
  if (name == "elicit")
    return ask_client(
      ex, id, "elicitation/create",
      {{"message", "Accept with defaults?"},
       {"requestedSchema", args.value("schema", json::parse(sep1034_schema))}});
  if (name == "sample")
    return ask_client(
      ex, id, "sampling/createMessage",
      {{"messages",
        {{{"role", "user"},
          {"content",
           {{"type", "text"}, {"text", args.value("text", std::string{})}}}}}},
       {"maxTokens", 100}});
  if (name == "roots")
    return ask_client(ex, id, "roots/list", json::object());
  if (name == "progress") {
    auto steps = args.value("steps", 3);
    std::chrono::milliseconds interval{args.value("interval_ms", 100)};
    workers_.emplace_back([this, ex, id, token, steps, interval] {
      send_progress(ex, id, token, steps, interval);
    });
    return;
  }
  if (name == "echo") {
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

void fake_mcp_http_server::ask_client(const http::exchange_ptr& ex,
                                      const json& call_id,
                                      const std::string& method, json params) {
  auto request_id = "srv-" + std::to_string(next_request_++);
  waiting_[request_id] = waiting_call{ex, call_id};
  json request{{"jsonrpc", "2.0"},
               {"id", request_id},
               {"method", method},
               {"params", std::move(params)}};
  ex->write("id: " + request_id + "\ndata: " + request.dump() + "\n\n");
}

void fake_mcp_http_server::take_answer(const json& msg) {
  if (!msg.contains("id") || !msg["id"].is_string())
    return;
  auto i = waiting_.find(msg["id"].get<std::string>());
  if (i == waiting_.end())
    return;
  auto call = std::move(i->second);
  waiting_.erase(i);
  json answer = json::object();
  if (msg.contains("result"))
    answer["result"] = msg["result"];
  if (msg.contains("error"))
    answer["error"] = msg["error"];
  call.ex->write("id: answer-" + msg["id"].get<std::string>() + "\ndata: "
                 + result(call.call_id, text_result(answer.dump())) + "\n\n");
  call.ex->end_stream();
}

void fake_mcp_http_server::send_progress(http::exchange_ptr ex, json call_id,
                                         json token, int steps,
                                         std::chrono::milliseconds interval) {
  for (int step = 1; step <= steps; ++step) {
    std::this_thread::sleep_for(interval);
    json note{{"jsonrpc", "2.0"},
              {"method", "notifications/progress"},
              {"params",
               {{"progressToken", token},
                {"progress", step},
                {"total", steps},
                {"message", "step " + std::to_string(step)}}}};
    if (!ex->write("id: p-" + std::to_string(step) + "\ndata: " + note.dump()
                   + "\n\n"))
      return;
  }
  std::this_thread::sleep_for(interval);
  ex->write("id: p-done\ndata: "
            + result(call_id, text_result("done after " + std::to_string(steps)
                                          + " steps"))
            + "\n\n");
  ex->end_stream();
}

} // namespace bsm::test
