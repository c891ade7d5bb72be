#include "node/bsmctl/cluster_command.hpp"

#include <chrono>
#include <ostream>
#include <thread>

#include "node/bsmctl/exit_code.hpp"
#include "node/bsmctl/message.hpp"
#include "node/bsmctl/output.hpp"

namespace bsm::ctl {

namespace {

using namespace std::chrono_literals;

constexpr auto max_wait = 10min;
constexpr auto poll_every = 500ms;

// NODE's state as the asked node lists it; empty if it does not.
std::string state_of(const ordered_json& view, const std::string& node) {
  if (!view.contains("members") || !view["members"].is_array())
    return {};
  for (const auto& m : view["members"])
    if (m.value("name", "") == node)
      return m.value("state", "");
  return {};
}

int wait_until_left(command_context& ctx, const std::string& node) {
  auto deadline = std::chrono::steady_clock::now() + max_wait;
  http_request req;
  req.path = "/v1/cluster";
  while (std::chrono::steady_clock::now() < deadline) {
    auto res = ctx.client.send(req);
    if (!res)
      return report(res.error(), ctx.io);
    if (!is_success(res->status))
      return report_http_error(*res, ctx.io);
    auto view = parse_body(res->body);
    if (view && state_of(*view, node) == "left") {
      print_line(ctx.io,
                 compact(ordered_json{{"node", node}, {"state", "left"}}));
      return exit_ok;
    }
    std::this_thread::sleep_for(poll_every);
  }
  ctx.io.err << "bsmctl: node " << node << " did not leave within 10 minutes\n";
  return exit_failure;
}

} // namespace

int run_cluster_leave(command_context& ctx, const cluster_args& args) {
  http_request req;
  req.method = "POST";
  req.path = "/v1/cluster/members/" + percent_encode(args.node) + "/leave";
  auto res = ctx.client.send(req);
  if (!res)
    return report(res.error(), ctx.io);
  if (!is_success(res->status))
    return report_http_error(*res, ctx.io);
  print_line(ctx.io, one_line(res->body));
  return args.wait ? wait_until_left(ctx, args.node) : exit_ok;
}

} // namespace bsm::ctl
