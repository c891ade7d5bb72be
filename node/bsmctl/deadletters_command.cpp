#include "node/bsmctl/deadletters_command.hpp"

#include "node/bsmctl/message.hpp"

namespace bsm::ctl {

namespace {

std::string list_path(const deadletters_args& args) {
  std::string query;
  auto add = [&query](const char* key, const std::string& value) {
    query += (query.empty() ? "?" : "&") + std::string{key} + "="
             + percent_encode(value);
  };
  if (!args.actor.empty())
    add("actor", args.actor);
  if (args.limit)
    add("limit", std::to_string(*args.limit));
  if (!args.after.empty())
    add("after", args.after);
  return "/v1/deadletters" + query;
}

} // namespace

std::string deadletters_table(const ordered_json& doc) {
  std::vector<std::vector<std::string>> rows{
    {"ID", "ACTOR", "TYPE", "REASON", "ATTEMPTS", "TIME", "LAST_ERROR"}};
  if (doc.is_object() && doc.contains("dead_letters")
      && doc["dead_letters"].is_array())
    for (const auto& x : doc["dead_letters"])
      rows.push_back({text_of(x, "id"), text_of(x, "actor"), text_of(x, "type"),
                      text_of(x, "reason"), text_of(x, "attempts"),
                      text_of(x, "time"),
                      single_line(text_of(x, "last_error", ""))});
  return format_table(rows);
}

int run_deadletters(command_context& ctx, const deadletters_args& args) {
  http_request req;
  switch (args.action) {
    case deadletters_action::list:
      req.path = list_path(args);
      return exchange_and_print(ctx, std::move(req), deadletters_table);
    case deadletters_action::retry:
      req.method = "POST";
      req.path = "/v1/deadletters/" + percent_encode(args.id) + "/retry";
      break;
    case deadletters_action::remove:
      req.method = "DELETE";
      req.path = "/v1/deadletters/" + percent_encode(args.id);
      break;
    case deadletters_action::purge:
      req.method = "DELETE";
      req.path = "/v1/deadletters?actor=" + percent_encode(args.actor);
      break;
  }
  return exchange_and_print(ctx, std::move(req), fields_table);
}

} // namespace bsm::ctl
