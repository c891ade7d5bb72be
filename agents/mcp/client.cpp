#include "agents/mcp/client.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <set>
#include <utility>

#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "runtime/error.hpp"
#include "runtime/sigpipe_guard.hpp"

namespace bsm::mcp {

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr int64_t invalid_params = -32602;
constexpr int64_t method_not_found = -32601;
constexpr size_t max_pages = 1000;
constexpr size_t read_chunk = 64 * 1024;
/// Bytes read per wake-up before lines are handled, so one flood cannot
/// grow the buffer without bound between checks of the line limit.
constexpr size_t max_read_per_wakeup = 1 << 20;

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

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, 60'000));
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

client::client(std::unique_ptr<child_process> proc, client_options opts)
  : proc_(std::move(proc)), opts_(std::move(opts)) {
  // nop
}

client::~client() {
  if (proc_)
    shutdown(2s);
}

caf::expected<std::unique_ptr<client>>
client::connect(spawn_options spawn, client_options opts, duration timeout) {
  auto proc = child_process::spawn(std::move(spawn));
  if (!proc)
    return proc.error();
  auto result = std::make_unique<client>(std::move(*proc), std::move(opts));
  if (auto info = result->initialize(timeout); !info)
    return info.error();
  return result;
}

// -- protocol ----------------------------------------------------------------

caf::expected<server_info> client::initialize(duration timeout) {
  auto deadline = clock::now() + timeout;
  json params{
    {"protocolVersion", std::string{protocol_version}},
    {"capabilities", json::object()},
    {"clientInfo", {{"name", opts_.name}, {"version", opts_.version}}}};
  auto r = request("initialize", dump(params), deadline);
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
                                             duration timeout) {
  auto deadline = clock::now() + timeout;
  auto args = arguments_json.empty()
                ? json::object()
                : json::parse(arguments_json, nullptr, false);
  if (!args.is_object())
    return make_error(errc::invalid_argument,
                      "arguments of tool '" + name + "' are not a JSON object");
  json params{{"name", name}, {"arguments", std::move(args)}};
  auto r = request("tools/call", dump(params), deadline);
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
  activity_ = "idle";
  auto deadline = clock::now() + 1s;
  for (;;) {
    std::optional<reply> ignored;
    while (auto line = next_line())
      if (auto err = handle_line(*line, std::nullopt, ignored, deadline))
        return err;
    if (broken_)
      return broken_;
    auto before = in_.size();
    if (auto err = read_some(0))
      return err;
    if (in_.size() == before)
      return caf::none;
  }
}

bool client::take_tools_changed() noexcept {
  return std::exchange(tools_changed_, false);
}

exit_status client::shutdown(duration grace) {
  auto status = proc_->terminate(grace);
  if (!broken_)
    broken_ = make_error(errc::unavailable, "MCP client shut down");
  return status;
}

// -- JSON-RPC ----------------------------------------------------------------

caf::expected<client::reply> client::request(std::string_view method,
                                             std::string params,
                                             clock::time_point deadline) {
  auto id = next_id_++;
  activity_ = method;
  auto line = R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":)"
              + dump(json(std::string{method})) + R"(,"params":)" + params
              + "}";
  if (auto err = send_line(std::move(line), deadline))
    return err;
  auto r = await_reply(id, deadline);
  if (!r && is(r.error(), errc::deadline_exceeded) && !broken_
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
  return send_line(R"({"jsonrpc":"2.0","method":)"
                     + dump(json(std::string{method})) + R"(,"params":)"
                     + params + "}",
                   deadline);
}

caf::expected<client::reply> client::await_reply(int64_t id,
                                                 clock::time_point deadline) {
  for (;;) {
    std::optional<reply> out;
    while (auto line = next_line()) {
      if (auto err = handle_line(*line, id, out, deadline))
        return err;
      if (out)
        return std::move(*out);
    }
    if (broken_)
      return broken_;
    if (clock::now() >= deadline)
      return make_error(errc::deadline_exceeded,
                        "MCP server did not answer request "
                          + std::to_string(id) + " in time");
    if (auto err = read_some(remaining_ms(deadline)))
      return err;
  }
}

caf::error client::handle_line(const std::string& line,
                               std::optional<int64_t> want,
                               std::optional<reply>& out,
                               clock::time_point deadline) {
  auto msg = json::parse(line, nullptr, false);
  if (!msg.is_object()) {
    log("skipped a line that is not JSON-RPC: " + excerpt(line));
    return caf::none;
  }
  const auto* id = member(msg, "id");
  auto method = string_member(msg, "method");
  if (!method.empty()) {
    if (id != nullptr && !id->is_null())
      return answer(dump(*id), method, deadline);
    if (method == "notifications/tools/list_changed")
      tools_changed_ = true;
    else if (method == "notifications/message")
      log("server log: " + excerpt(dump(msg.value("params", json{}))));
    return caf::none;
  }
  if (id == nullptr || !id->is_number_integer() || !want
      || id->get<int64_t>() != *want) {
    log("dropped a reply to no waiting request: " + excerpt(line));
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
    return fail(make_error(errc::internal, "MCP reply without result or error: "
                                             + excerpt(line)));
  }
  out = std::move(r);
  return caf::none;
}

caf::error client::answer(const std::string& id_json, std::string_view method,
                          clock::time_point deadline) {
  std::string body;
  if (method == "ping")
    body = R"("result":{})";
  else
    body = R"("error":{"code":-32601,"message":)"
           + dump(json("Method not found: " + std::string{method})) + "}";
  return send_line(R"({"jsonrpc":"2.0","id":)" + id_json + "," + body + "}",
                   deadline);
}

// -- stdio -------------------------------------------------------------------

caf::error client::send_line(std::string line, clock::time_point deadline) {
  if (broken_)
    return broken_;
  if (proc_->stdin_fd() < 0)
    return fail(make_error(errc::unavailable, "MCP server's stdin is closed"));
  line += '\n';
  sigpipe_guard guard;
  size_t written = 0;
  while (written < line.size()) {
    auto n = ::write(proc_->stdin_fd(), line.data() + written,
                     line.size() - written);
    if (n > 0) {
      written += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno != EAGAIN)
      return gone();
    if (clock::now() >= deadline) {
      if (written == 0)
        return make_error(errc::deadline_exceeded,
                          "MCP server did not read its stdin in time");
      // Half a message in the pipe: nothing after it would parse.
      return fail(make_error(errc::unavailable,
                             "MCP server stopped reading mid-message"));
    }
    // While its stdin is full, keep reading its stdout: a server blocked on
    // writing would never read on.
    pollfd fds[2]
      = {{proc_->stdin_fd(), POLLOUT, 0}, {proc_->stdout_fd(), POLLIN, 0}};
    if (::poll(fds, 2, remaining_ms(deadline)) < 0 && errno != EINTR)
      return fail(
        make_error(errc::internal, "poll: " + std::string{strerror(errno)}));
    if ((fds[0].revents & (POLLERR | POLLHUP)) != 0)
      return gone();
    if ((fds[1].revents & (POLLIN | POLLHUP)) != 0)
      if (auto err = read_some(0))
        return err;
  }
  return caf::none;
}

caf::error client::read_some(int timeout_ms) {
  pollfd fd{proc_->stdout_fd(), POLLIN, 0};
  auto rc = ::poll(&fd, 1, timeout_ms);
  if (rc < 0 && errno != EINTR)
    return fail(
      make_error(errc::internal, "poll: " + std::string{strerror(errno)}));
  if (rc <= 0)
    return caf::none;
  size_t total = 0;
  while (total < max_read_per_wakeup) {
    auto old = in_.size();
    in_.resize(old + read_chunk);
    auto n = ::read(proc_->stdout_fd(), in_.data() + old, read_chunk);
    in_.resize(old + static_cast<size_t>(std::max<ssize_t>(n, 0)));
    if (n > 0) {
      total += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return caf::none;
    // EOF or a read error. Lines that arrived before it are still handled
    // (a reply, then an exit).
    if (in_.find('\n', scanned_) != std::string::npos)
      return caf::none;
    return gone();
  }
  return caf::none;
}

std::optional<std::string> client::next_line() {
  for (;;) {
    auto pos = in_.find('\n', scanned_);
    if (pos == std::string::npos) {
      scanned_ = in_.size();
      if (in_.size() > opts_.max_line_bytes && !broken_)
        fail(make_error(errc::resource_exhausted,
                        "MCP server wrote a line longer than "
                          + std::to_string(opts_.max_line_bytes) + " bytes"));
      return std::nullopt;
    }
    if (pos > opts_.max_line_bytes) {
      if (!broken_)
        fail(make_error(errc::resource_exhausted,
                        "MCP server wrote a line longer than "
                          + std::to_string(opts_.max_line_bytes) + " bytes"));
      return std::nullopt;
    }
    auto line = in_.substr(0, pos);
    in_.erase(0, pos + 1);
    scanned_ = 0;
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (!line.empty())
      return line;
  }
}

caf::error client::fail(caf::error err) {
  broken_ = err;
  return err;
}

caf::error client::gone() {
  // Give an exiting server a moment, so the error can say how it ended.
  auto status = proc_->wait_for(200ms);
  std::string what = status ? "MCP server exited (" + to_string(*status) + ")"
                            : std::string{"MCP server closed its pipes"};
  what += " during " + activity_;
  if (auto tail = proc_->stderr_tail(); !tail.empty())
    what += "; stderr: " + excerpt(tail);
  return fail(make_error(errc::unavailable, std::move(what)));
}

void client::log(std::string_view what) const {
  if (opts_.log)
    opts_.log(what);
}

} // namespace bsm::mcp
