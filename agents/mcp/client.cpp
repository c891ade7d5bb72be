#include "agents/mcp/client.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "agents/mcp/stdio_transport.hpp"
#include "runtime/error.hpp"

namespace bsm::mcp {

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr int64_t invalid_params = rpc_invalid_params;
constexpr int64_t method_not_found = rpc_method_not_found;
constexpr size_t max_pages = 1000;

// Invalid UTF-8 from a server becomes U+FFFD instead of an exception.
std::string dump(const json& x) {
  return x.dump(-1, ' ', false, json::error_handler_t::replace);
}

const json* member(const json& obj, const char* key) {
  if (!obj.is_object())
    return nullptr;
  auto i = obj.find(key);
  return i != obj.end() ? &*i : nullptr;
}

std::string string_member(const json& obj, const char* key) {
  const auto* x = member(obj, key);
  return x != nullptr && x->is_string() ? x->get<std::string>() : std::string{};
}

std::string excerpt(std::string_view x) {
  constexpr size_t max = 200;
  return x.size() <= max ? std::string{x}
                         : std::string{x.substr(0, max)} + "...";
}

bool is_known_version(std::string_view x) {
  return std::find(known_protocol_versions.begin(),
                   known_protocol_versions.end(), x)
         != known_protocol_versions.end();
}

std::string render_part(const json& part) {
  auto type = string_member(part, "type");
  if (type == "text")
    return string_member(part, "text");
  if (type == "resource") {
    const auto* res = member(part, "resource");
    if (res != nullptr && member(*res, "text") != nullptr)
      return string_member(*res, "text");
    return "[resource " + (res ? string_member(*res, "uri") : "") + "]";
  }
  if (type == "resource_link")
    return "[resource link " + string_member(part, "uri") + "]";
  if (type == "image" || type == "audio")
    return "[" + type + " " + string_member(part, "mimeType") + "]";
  return "[" + (type.empty() ? std::string{"unknown"} : type) + " content]";
}

tool_result to_tool_result(const json& result) {
  tool_result out;
  if (const auto* content = member(result, "content");
      content != nullptr && content->is_array()) {
    for (const auto& part : *content) {
      if (!out.content.empty())
        out.content += '\n';
      out.content += render_part(part);
    }
  }
  if (const auto* flag = member(result, "isError");
      flag != nullptr && flag->is_boolean())
    out.is_error = flag->get<bool>();
  if (const auto* structured = member(result, "structuredContent");
      structured != nullptr && !structured->is_null())
    out.structured_json = dump(*structured);
  if (out.content.empty())
    out.content = out.structured_json;
  return out;
}

caf::error rpc_error_to_error(std::string_view what, int64_t code,
                              const std::string& message) {
  auto text = std::string{what} + ": MCP error " + std::to_string(code) + ": "
              + message;
  return make_error(code == method_not_found ? errc::failed_precondition
                                             : errc::internal,
                    std::move(text));
}

} // namespace

/// A JSON-RPC response: a result, or an error code and message.
struct client::reply {
  json result;
  bool failed = false;
  int64_t code = 0;
  std::string message;
};

// -- construction ------------------------------------------------------------

client::client(std::unique_ptr<transport> channel, client_options opts)
  : channel_(std::move(channel)), opts_(std::move(opts)) {
  // nop
}

client::~client() {
  if (!shut_down_)
    shutdown(2s);
}

caf::expected<std::unique_ptr<client>>
client::connect(spawn_options spawn, client_options opts, duration timeout) {
  auto proc = child_process::spawn(std::move(spawn));
  if (!proc)
    return proc.error();
  auto channel
    = std::make_unique<stdio_transport>(std::move(*proc), opts.max_line_bytes);
  auto result = std::make_unique<client>(std::move(channel), std::move(opts));
  if (auto info = result->initialize(timeout); !info)
    return info.error();
  return result;
}

caf::expected<std::unique_ptr<client>>
client::connect_http(http_transport_options http, client_options opts,
                     duration timeout) {
  http.max_message_bytes = opts.max_line_bytes;
  if (!http.log)
    http.log = opts.log;
  auto channel = http_transport::make(std::move(http));
  if (!channel)
    return channel.error();
  auto result = std::make_unique<client>(std::move(*channel), std::move(opts));
  if (auto info = result->initialize(timeout); !info)
    return info.error();
  return result;
}

child_process* client::process() noexcept {
  auto* stdio = dynamic_cast<stdio_transport*>(channel_.get());
  return stdio != nullptr ? &stdio->process() : nullptr;
}

// -- protocol ----------------------------------------------------------------

caf::expected<server_info> client::initialize(duration timeout) {
  return handshake(clock::now() + timeout);
}

caf::expected<server_info> client::handshake(clock::time_point deadline) {
  json params{
    {"protocolVersion", std::string{protocol_version}},
    {"capabilities", json::parse(capabilities_json())},
    {"clientInfo", {{"name", opts_.name}, {"version", opts_.version}}}};
  auto r = request_once("initialize", dump(params), deadline);
  if (!r)
    return r.error();
  if (r->failed)
    return rpc_error_to_error("initialize", r->code, r->message);
  server_info info;
  info.protocol_version = string_member(r->result, "protocolVersion");
  if (!is_known_version(info.protocol_version))
    return make_error(errc::failed_precondition,
                      "MCP server speaks protocol version '"
                        + info.protocol_version
                        + "', which this client does not know");
  if (const auto* srv = member(r->result, "serverInfo")) {
    info.name = string_member(*srv, "name");
    info.version = string_member(*srv, "version");
  }
  const auto* caps = member(r->result, "capabilities");
  info.capabilities_json = caps != nullptr ? dump(*caps) : "{}";
  channel_->negotiated(info.protocol_version);
  if (auto err = notify("notifications/initialized", "{}", deadline))
    return err;
  server_ = info;
  return info;
}

caf::expected<std::vector<tool_info>> client::list_tools(duration timeout) {
  auto deadline = clock::now() + timeout;
  std::vector<tool_info> tools;
  std::set<std::string> cursors;
  std::string cursor;
  for (size_t page = 0; page < max_pages; ++page) {
    json params = json::object();
    if (!cursor.empty())
      params["cursor"] = cursor;
    auto r = request("tools/list", dump(params), deadline);
    if (!r)
      return r.error();
    if (r->failed)
      return rpc_error_to_error("tools/list", r->code, r->message);
    if (const auto* xs = member(r->result, "tools"); xs && xs->is_array()) {
      for (const auto& x : *xs) {
        auto name = string_member(x, "name");
        if (name.empty()) {
          log("skipped a tool without a name: " + excerpt(dump(x)));
          continue;
        }
        const auto* schema = member(x, "inputSchema");
        tools.push_back(tool_info{
          std::move(name), string_member(x, "description"),
          schema != nullptr && schema->is_object() ? dump(*schema) : "{}"});
      }
    }
    cursor = string_member(r->result, "nextCursor");
    if (cursor.empty())
      return tools;
    if (!cursors.insert(cursor).second)
      return make_error(errc::internal,
                        "tools/list: the server repeated cursor '"
                          + excerpt(cursor) + "'");
  }
  return make_error(errc::internal, "tools/list: more than "
                                      + std::to_string(max_pages) + " pages");
}

caf::expected<tool_result> client::call_tool(const std::string& name,
                                             const std::string& arguments_json,
                                             duration timeout,
                                             duration max_time) {
  auto start = clock::now();
  auto deadline = start + timeout;
  auto args = arguments_json.empty()
                ? json::object()
                : json::parse(arguments_json, nullptr, false);
  if (!args.is_object())
    return make_error(errc::invalid_argument,
                      "arguments of tool '" + name + "' are not a JSON object");
  auto token = "bsm-" + std::to_string(next_progress_token_++);
  json params{{"name", name},
              {"arguments", std::move(args)},
              {"_meta", {{"progressToken", token}}}};
  watch_ = progress_watch{dump(json(token)), timeout,
                          start + std::max(timeout, max_time), std::nullopt};
  auto r = request("tools/call", dump(params), deadline);
  watch_.reset();
  if (!r)
    return r.error();
  if (r->failed && r->code == invalid_params)
    return tool_result{r->message, true, {}};
  if (r->failed)
    return rpc_error_to_error("tools/call '" + name + "'", r->code, r->message);
  return to_tool_result(r->result);
}

caf::error client::poll() {
  if (broken_)
    return broken_;
  channel_->set_activity("idle");
  // Answers to the server's requests get a moment; receiving never waits.
  auto deadline = clock::now() + 1s;
  for (;;) {
    auto msg = channel_->receive(clock::now() - 1ms);
    if (!msg)
      return checked(msg.error());
    if (!*msg)
      return caf::none;
    std::optional<reply> ignored;
    if (auto err = handle_message(**msg, std::nullopt, ignored, deadline))
      return err;
  }
}

bool client::take_tools_changed() noexcept {
  return std::exchange(tools_changed_, false);
}

std::string client::shutdown(duration grace) {
  shut_down_ = true;
  auto how = channel_->close(grace);
  if (!broken_)
    broken_ = make_error(errc::unavailable, "MCP client shut down");
  return how;
}

// -- JSON-RPC ----------------------------------------------------------------

caf::expected<client::reply> client::request(std::string_view method,
                                             const std::string& params,
                                             clock::time_point deadline) {
  auto r = request_once(method, params, deadline);
  if (r || !is(r.error(), errc::not_found) || !channel_->usable())
    return r;
  // Over HTTP the server forgot the session: one new handshake, then the
  // request once more.
  log("the server ended the session; initializing anew");
  if (auto info = handshake(deadline); !info)
    return info.error();
  return request_once(method, params, deadline);
}

caf::expected<client::reply> client::request_once(std::string_view method,
                                                  const std::string& params,
                                                  clock::time_point deadline) {
  auto id = next_id_++;
  channel_->set_activity(method);
  auto line = R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":)"
              + dump(json(std::string{method})) + R"(,"params":)" + params
              + "}";
  if (auto err = send(line, deadline))
    return err;
  auto r = await_reply(id, deadline);
  if (!r && is(r.error(), errc::deadline_exceeded) && usable()
      && method != "initialize") {
    // Best effort: the server may stop working on it; its late reply, if
    // any, is dropped by id. (The spec forbids cancelling initialize.)
    json cancel{{"requestId", id}, {"reason", "timeout"}};
    [[maybe_unused]] auto err
      = notify("notifications/cancelled", dump(cancel), clock::now() + 100ms);
  }
  return r;
}

caf::error client::notify(std::string_view method, std::string params,
                          clock::time_point deadline) {
  return send(R"({"jsonrpc":"2.0","method":)" + dump(json(std::string{method}))
                + R"(,"params":)" + params + "}",
              deadline);
}

caf::expected<client::reply> client::await_reply(int64_t id,
                                                 clock::time_point deadline) {
  for (;;) {
    if (broken_)
      return broken_;
    auto msg = channel_->receive(deadline);
    if (!msg)
      return checked(msg.error());
    if (!*msg) {
      if (clock::now() < deadline)
        continue;
      return make_error(errc::deadline_exceeded,
                        "MCP server did not answer request "
                          + std::to_string(id) + " in time");
    }
    std::optional<reply> out;
    if (auto err = handle_message(**msg, id, out, deadline))
      return err;
    if (out)
      return std::move(*out);
    if (watch_ && watch_->extended)
      deadline = std::max(deadline, *std::exchange(watch_->extended, {}));
  }
}

caf::error client::handle_message(const std::string& text,
                                  std::optional<int64_t> want,
                                  std::optional<reply>& out,
                                  clock::time_point deadline) {
  auto msg = json::parse(text, nullptr, false);
  if (!msg.is_object()) {
    log("skipped a message that is not JSON-RPC: " + excerpt(text));
    return caf::none;
  }
  const auto* id = member(msg, "id");
  auto method = string_member(msg, "method");
  if (!method.empty()) {
    const auto* params = member(msg, "params");
    auto params_json = params != nullptr ? dump(*params) : "{}";
    if (id != nullptr && !id->is_null())
      return answer(dump(*id), method, params_json, deadline);
    if (method == "notifications/tools/list_changed")
      tools_changed_ = true;
    else if (method == "notifications/progress")
      on_progress(params_json);
    else if (method == "notifications/message")
      log("server log: " + excerpt(dump(msg.value("params", json{}))));
    return caf::none;
  }
  if (id == nullptr || !id->is_number_integer() || !want
      || id->get<int64_t>() != *want) {
    log("dropped a reply to no waiting request: " + excerpt(text));
    return caf::none;
  }
  reply r;
  if (const auto* err = member(msg, "error"); err != nullptr) {
    r.failed = true;
    const auto* code = member(*err, "code");
    r.code
      = code != nullptr && code->is_number_integer() ? code->get<int64_t>() : 0;
    r.message = string_member(*err, "message");
  } else if (const auto* result = member(msg, "result"); result != nullptr) {
    r.result = *result;
  } else {
    broken_ = make_error(errc::internal,
                         "MCP reply without result or error: " + excerpt(text));
    return broken_;
  }
  out = std::move(r);
  return caf::none;
}

caf::error client::answer(const std::string& id_json, std::string_view method,
                          const std::string& params_json,
                          clock::time_point deadline) {
  auto a = answer_of(method, params_json);
  std::string body;
  if (!a.failed())
    body = R"("result":)" + a.result_json;
  else
    body = R"("error":{"code":)" + std::to_string(a.code) + R"(,"message":)"
           + dump(json(a.message)) + "}";
  // The time the answer took (a model call, a person's answer) is not the
  // server's: the running call's deadline starts again from now.
  if (watch_)
    watch_->extended = std::min(clock::now() + watch_->timeout, watch_->cap);
  // An answer that took long still goes out.
  return send(R"({"jsonrpc":"2.0","id":)" + id_json + "," + body + "}",
              std::max(deadline, clock::now() + 5s));
}

rpc_answer client::answer_of(std::string_view method,
                             const std::string& params_json) {
  auto refused = [method](std::string_view what) {
    return rpc_answer::error(method_not_found,
                             "Method not found: " + std::string{method} + " ("
                               + std::string{what}
                               + " is not offered to this server)");
  };
  if (method == "ping")
    return rpc_answer::ok("{}");
  if (method == "elicitation/create")
    return opts_.on_elicitation ? opts_.on_elicitation(params_json)
                                : refused("elicitation");
  if (method == "sampling/createMessage")
    return opts_.on_sampling ? opts_.on_sampling(params_json)
                             : refused("sampling");
  if (method == "roots/list")
    return opts_.roots ? rpc_answer::ok(roots_result(*opts_.roots))
                       : refused("roots");
  return rpc_answer::error(method_not_found,
                           "Method not found: " + std::string{method});
}

void client::on_progress(const std::string& params_json) {
  auto update = parse_progress(params_json);
  if (!update) {
    log("skipped a progress notification without token or progress: "
        + excerpt(params_json));
    return;
  }
  if (!watch_ || update->token_json != watch_->token_json) {
    log("skipped progress for no running call: " + excerpt(params_json));
    return;
  }
  watch_->extended = std::min(clock::now() + watch_->timeout, watch_->cap);
  if (opts_.on_progress)
    opts_.on_progress(*update);
}

std::string client::capabilities_json() const {
  auto caps = json::object();
  if (opts_.on_elicitation)
    caps["elicitation"] = {{"form", json::object()}};
  if (opts_.on_sampling)
    caps["sampling"] = json::object();
  if (opts_.roots)
    caps["roots"] = {{"listChanged", false}};
  return dump(caps);
}

caf::error client::send(const std::string& message,
                        clock::time_point deadline) {
  if (broken_)
    return broken_;
  return checked(channel_->send(message, deadline));
}

caf::error client::checked(caf::error err) {
  // The transport's verdict: an error it cannot go on after is the
  // client's too.
  if (err && !channel_->usable())
    broken_ = err;
  return err;
}

void client::log(std::string_view what) const {
  if (opts_.log)
    opts_.log(what);
}

} // namespace bsm::mcp
