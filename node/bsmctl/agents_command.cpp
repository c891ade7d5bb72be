#include "node/bsmctl/agents_command.hpp"

#include <istream>
#include <iterator>
#include <ostream>

#include "node/bsmctl/agent_output.hpp"
#include "node/bsmctl/exit_code.hpp"
#include "node/bsmctl/message.hpp"
#include "runtime/error.hpp"
#include "runtime/http/sse_parser.hpp"

namespace bsm::ctl {

namespace {

using namespace std::chrono_literals;

// A chat input larger than this is refused before it is sent (the node's
// body limit is far below it anyway).
constexpr size_t max_chat_input = 8 << 20;

// A turn may call tools and other agents: more than a listing's minute.
constexpr auto chat_timeout = 10min;

int get_and_print(command_context& ctx, std::string path,
                  table_renderer to_table) {
  http_request req;
  req.path = std::move(path);
  return exchange_and_print(ctx, std::move(req), to_table);
}

caf::expected<std::string> read_input(std::istream& in) {
  std::string text;
  char buf[4096];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > max_chat_input)
      return make_error(errc::invalid_argument,
                        "the chat input on stdin is over 8 MiB");
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  return text;
}

// With Accept: text/event-stream, so a person sees the turn as it runs.
int streamed_chat(command_context& ctx, http_request req) {
  http::sse_parser parser;
  caf::error failure;
  std::string error_text;
  bool done = false;
  auto on_line = [&](std::string_view line) {
    auto data = parser.feed_line(line);
    if (!data) {
      failure = std::move(data.error());
      return false;
    }
    auto doc = *data ? parse_body(**data) : std::nullopt;
    if (!doc)
      return true;
    const auto& event = parser.last_event();
    if (event == "error")
      error_text = text_of((*doc)["error"], "code") + ": "
                   + text_of((*doc)["error"], "message", "");
    done = done || event == "done";
    ctx.io.out << chat_event_text(event, *doc) << std::flush;
    return true;
  };
  auto res
    = ctx.client.stream_lines(std::move(req), "text/event-stream", on_line);
  if (!res)
    return report(res.error(), ctx.io);
  if (!is_success(res->status))
    return report_http_error(*res, ctx.io);
  if (failure)
    return report(failure, ctx.io);
  if (!error_text.empty()) {
    ctx.io.err << "\nbsmctl: " << error_text << '\n';
    return exit_failure;
  }
  if (!done) {
    ctx.io.err << "\nbsmctl: the chat stream ended before the turn did\n";
    return exit_failure;
  }
  return exit_ok;
}

int run_chat(command_context& ctx, const agents_args& args) {
  auto input = args.input;
  if (args.input_from_stdin) {
    auto read = read_input(ctx.io.in);
    if (!read)
      return report(read.error(), ctx.io);
    input = std::move(*read);
  }
  ordered_json body{{"input", input}};
  if (!args.session.empty())
    body["session_id"] = args.session;
  http_request req;
  req.method = "POST";
  req.path = "/v1/agents/" + percent_encode(args.name) + "/chat";
  try {
    req.body = body.dump();
  } catch (const nlohmann::json::exception&) {
    return report(
      make_error(errc::invalid_argument, "the chat input is not valid UTF-8"),
      ctx.io);
  }
  req.timeout = chat_timeout;
  if (ctx.table())
    return streamed_chat(ctx, std::move(req));
  return exchange_and_print(ctx, std::move(req), chat_text);
}

// "?limit=N&after=X" with what was given.
std::string page_query(const sessions_args& args) {
  std::string query;
  if (args.limit)
    query += "limit=" + std::to_string(*args.limit);
  if (!args.after.empty())
    query
      += (query.empty() ? "" : "&") + ("after=" + percent_encode(args.after));
  return query.empty() ? query : "?" + query;
}

} // namespace

int run_questions(command_context& ctx, const questions_args& args) {
  auto path = "/v1/agents/" + percent_encode(args.agent) + "/questions";
  if (!args.answer)
    return get_and_print(
      ctx,
      path
        + (args.session.empty()
             ? std::string{}
             : "?session_id=" + percent_encode(args.session)),
      questions_table);
  ordered_json body{{"action", args.action}};
  if (args.action == "accept")
    body["content"] = ordered_json::parse(args.content);
  http_request req;
  req.method = "POST";
  req.path = path + "/" + percent_encode(args.id);
  req.body = body.dump();
  return exchange_and_print(ctx, std::move(req), fields_table);
}

int run_agents(command_context& ctx, const agents_args& args) {
  switch (args.action) {
    case agents_action::list:
      return get_and_print(ctx, "/v1/agents", agents_table);
    case agents_action::show:
      return get_and_print(ctx, "/v1/agents/" + percent_encode(args.name),
                           fields_table);
    case agents_action::chat: break;
  }
  return run_chat(ctx, args);
}

int run_sessions(command_context& ctx, const sessions_args& args) {
  auto path = "/v1/agents/" + percent_encode(args.agent) + "/sessions";
  if (!args.show)
    return get_and_print(ctx, path + page_query(args), sessions_table);
  return get_and_print(
    ctx, path + "/" + percent_encode(args.id) + page_query(args), turns_table);
}

} // namespace bsm::ctl
