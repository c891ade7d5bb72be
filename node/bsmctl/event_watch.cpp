#include "node/bsmctl/event_watch.hpp"

#include "node/bsmctl/exit_code.hpp"
#include "runtime/error.hpp"
#include "runtime/http/sse_parser.hpp"

namespace bsm::ctl {

namespace {

bool timed_out(const caf::error& err) {
  return err.category() == errc_category
         && err.code() == static_cast<uint8_t>(errc::deadline_exceeded);
}

} // namespace

int watch_events(command_context& ctx, const event_watch& watch) {
  http::sse_parser parser;
  caf::error failure;
  auto on_line = [&](std::string_view line) {
    auto data = parser.feed_line(line);
    if (!data) {
      failure = std::move(data.error());
      return false;
    }
    if (!*data)
      return true;
    auto doc = parse_body(**data);
    if (!doc || !watch.keep(*doc))
      return true;
    print_line(ctx.io, ctx.table() ? event_line(*doc) : compact(*doc));
    return !watch.ends(*doc);
  };
  auto timeout = watch.timeout.value_or(std::chrono::milliseconds{0});
  auto res = ctx.client.stream_lines("/v1/events?topic=" + watch.topic,
                                     "text/event-stream", on_line, timeout);
  if (!res && watch.timeout && timed_out(res.error()))
    return watch.on_timeout;
  if (!res)
    return report(res.error(), ctx.io);
  if (failure)
    return report(failure, ctx.io);
  if (!is_success(res->status))
    return report_http_error(*res, ctx.io);
  return exit_ok;
}

} // namespace bsm::ctl
