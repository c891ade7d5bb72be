#include "node/bsmctl/events_command.hpp"

#include <ostream>

#include "node/bsmctl/exit_code.hpp"
#include "node/bsmctl/message.hpp"
#include "node/bsmctl/output.hpp"
#include "runtime/error.hpp"
#include "runtime/http/sse_parser.hpp"

namespace bsm::ctl {

namespace {

std::string render_event(const command_context& ctx, const std::string& data) {
  auto doc = parse_body(data);
  if (!doc)
    return one_line(data);
  if (ctx.yaml()) {
    auto text = yaml_document(*doc);
    text.pop_back(); // print_line ends the line
    return "---\n" + text;
  }
  return ctx.table() ? event_line(*doc) : compact(*doc);
}

// bsm_ctl links no runtime library, so not bsm::is().
bool timed_out(const caf::error& err) {
  return err.category() == errc_category
         && err.code() == static_cast<uint8_t>(errc::deadline_exceeded);
}

} // namespace

int run_events(command_context& ctx, const events_args& args) {
  // An event the server did not end with a blank line is dropped (WHATWG).
  http::sse_parser parser;
  caf::error failure;
  uint64_t seen = 0;
  auto on_line = [&](std::string_view line) {
    auto data = parser.feed_line(line);
    if (!data) {
      failure = std::move(data.error());
      return false;
    }
    if (!*data)
      return true;
    print_line(ctx.io, render_event(ctx, **data));
    ++seen;
    return !args.count || seen < *args.count;
  };
  auto path = "/v1/events?topic=" + percent_encode(args.pattern);
  auto timeout = args.timeout.value_or(std::chrono::milliseconds{0});
  auto res
    = ctx.client.stream_lines(path, "text/event-stream", on_line, timeout);
  if (!res && args.timeout && timed_out(res.error())) {
    ctx.io.err << "bsmctl: " << seen << " events within "
               << args.timeout->count() << " ms, the --timeout";
    if (args.count)
      ctx.io.err << " (wanted " << *args.count << ")";
    ctx.io.err << '\n';
    return args.count ? exit_timeout : exit_ok;
  }
  if (!res)
    return report(res.error(), ctx.io);
  if (failure)
    return report(failure, ctx.io);
  if (!is_success(res->status))
    return report_http_error(*res, ctx.io);
  if (args.count && seen < *args.count) {
    ctx.io.err << "bsmctl: the server ended the event stream after " << seen
               << " of " << *args.count << " events\n";
    return exit_failure;
  }
  return exit_ok;
}

} // namespace bsm::ctl
