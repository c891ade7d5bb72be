#include "node/bsmctl/send_command.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <istream>
#include <iterator>
#include <ostream>

#include "node/bsmctl/exit_code.hpp"
#include "node/bsmctl/message.hpp"
#include "node/bsmctl/output.hpp"
#include "runtime/error.hpp"

namespace bsm::ctl {

namespace {

// The client waits a little longer than the server's ask deadline, so a
// slow ask ends as the server's 504 rather than a client timeout.
constexpr std::chrono::milliseconds default_timeout{60'000};
constexpr std::chrono::milliseconds timeout_margin{10'000};

caf::expected<http_response> post(http_client& client,
                                  const outgoing_message& msg) {
  http_request req;
  req.method = "POST";
  req.path = messages_path(msg.actor);
  req.body = request_body(msg);
  req.headers.push_back("Accept: application/json");
  if (!msg.idempotency_key.empty())
    req.headers.push_back("Idempotency-Key: " + msg.idempotency_key);
  if (msg.timeout_ms)
    req.timeout
      = std::max(default_timeout,
                 std::chrono::milliseconds{*msg.timeout_ms} + timeout_margin);
  return client.send(req);
}

caf::expected<outgoing_message> single_message(const send_args& args,
                                               std::istream& in) {
  outgoing_message msg;
  msg.actor = args.actor;
  msg.type = qualified_type(args.type);
  msg.ask = args.ask;
  msg.timeout_ms = args.timeout_ms;
  msg.idempotency_key = args.idempotency_key;
  std::string text = args.payload;
  if (args.payload_from_stdin)
    text.assign(std::istreambuf_iterator<char>{in},
                std::istreambuf_iterator<char>{});
  auto payload = parse_payload(text);
  if (!payload)
    return payload.error();
  msg.payload = std::move(*payload);
  return msg;
}

bool is_blank(const std::string& line) {
  return std::all_of(line.begin(), line.end(),
                     [](unsigned char c) { return std::isspace(c) != 0; });
}

const char* code_name(const caf::error& err) {
  switch (exit_code_for(err)) {
    case exit_usage: return "invalid_argument";
    case exit_unreachable: return "unavailable";
    default: return "internal";
  }
}

ordered_json client_error(const caf::error& err) {
  return {{"code", code_name(err)}, {"message", describe(err)}};
}

// The server's answer as the "response" or "error" of a result line.
void add_answer(ordered_json& result, const http_response& res) {
  result["status"] = res.status;
  auto doc = parse_body(res.body);
  if (is_success(res.status)) {
    result["response"] = doc ? *doc : ordered_json(res.body);
  } else if (doc && doc->is_object() && doc->contains("error")) {
    result["error"] = (*doc)["error"];
  } else {
    result["error"] = {{"code", "http_" + std::to_string(res.status)},
                       {"message", one_line(res.body)}};
  }
}

std::string table_row(const ordered_json& result) {
  char head[32];
  std::snprintf(head, sizeof(head), "%-4s  %-6s  ",
                cell(result["line"]).c_str(), cell(result["status"]).c_str());
  if (result.contains("response"))
    return head + compact(result["response"]);
  const auto& err = result["error"];
  return head + text_of(err, "code", "error") + ": "
         + text_of(err, "message", "");
}

} // namespace

int run_send(command_context& ctx, const send_args& args) {
  auto msg = single_message(args, ctx.io.in);
  if (!msg)
    return report(msg.error(), ctx.io);
  return print_result(ctx, post(ctx.client, *msg), fields_table);
}

int run_send_batch(command_context& ctx, const send_args& args) {
  batch_defaults defaults{args.ask, args.timeout_ms};
  bool failed = false;
  bool unreachable = false;
  if (ctx.table())
    print_line(ctx.io, "LINE  STATUS  RESULT");
  std::string line;
  for (size_t n = 1; std::getline(ctx.io.in, line); ++n) {
    if (is_blank(line))
      continue;
    ordered_json result{{"line", n}};
    auto msg = parse_batch_line(line, defaults);
    auto res = msg ? post(ctx.client, *msg)
                   : caf::expected<http_response>{msg.error()};
    if (!res) {
      result["status"] = 0;
      result["error"] = client_error(res.error());
      unreachable
        = unreachable || exit_code_for(res.error()) == exit_unreachable;
    } else {
      add_answer(result, *res);
    }
    failed = failed || !result.contains("response");
    if (ctx.yaml())
      ctx.io.out << "---\n" << yaml_document(result) << std::flush;
    else
      print_line(ctx.io, ctx.table() ? table_row(result) : compact(result));
  }
  if (unreachable)
    return exit_unreachable;
  return failed ? exit_failure : exit_ok;
}

} // namespace bsm::ctl
