#include "agents/a2a/a2a_options.hpp"

#include <set>

#include "agents/tools/tools_options.hpp"
#include "runtime/config/config_fields.hpp"
#include "runtime/error.hpp"

namespace bsm {

namespace {

using namespace std::chrono_literals;
using detail::located_error;
using detail::quote;
using detail::yaml_field;

constexpr int64_t max_tasks_limit = 10'000'000;
constexpr int64_t max_task_bytes_limit = int64_t{16} << 30;

constexpr std::string_view agent_keys
  = "(known keys: name, url, headers, call_timeout)";

// An absolute http(s) URL without a trailing slash; empty is fine.
std::string public_url_problem(const std::string& url) {
  if (url.empty())
    return {};
  if (auto problem = http_url_problem(url); !problem.empty())
    return problem;
  if (url.back() == '/')
    return "must not end with '/'";
  return {};
}

caf::error read_headers(const yaml_field& in, a2a_remote_agent& out) {
  std::map<std::string, std::string> headers;
  auto err
    = in.entries([&headers](const yaml_field& h, const std::string& name) {
        if (auto problem = http_header_name_problem(name); !problem.empty())
          return h.fail(problem);
        if (auto text_err = h.text(headers[name]))
          return text_err;
        auto problem = http_header_value_problem(headers[name]);
        return problem.empty() ? caf::error{} : h.fail(problem);
      });
  if (!err)
    out.headers = std::move(headers);
  return err;
}

caf::error read_agent_key(const yaml_field& in, const std::string& key,
                          a2a_remote_agent& out) {
  auto checked = [&in](std::string& field, auto problem_of) -> caf::error {
    if (auto err = in.text(field))
      return err;
    auto problem = problem_of(field);
    return problem.empty() ? caf::error{} : in.fail(problem);
  };
  if (key == "name")
    return checked(out.name, tool_server_name_problem);
  if (key == "url")
    return checked(out.url, http_url_problem);
  if (key == "headers")
    return read_headers(in, out);
  if (key == "call_timeout") {
    std::chrono::milliseconds timeout{0};
    if (auto err = in.duration(timeout))
      return err;
    if (timeout < 1ms)
      return in.fail(detail::render_duration(timeout)
                     + " is below the minimum of 1ms");
    out.call_timeout = timeout;
    return {};
  }
  return located_error(in.where(), "unknown key " + quote(in.key()) + " "
                                     + std::string{agent_keys});
}

caf::error read_agents(const yaml_field& in, a2a_options& out) {
  std::vector<a2a_remote_agent> agents;
  auto read_entry = [&agents](const yaml_field& entry) -> caf::error {
    auto& agent = agents.emplace_back();
    std::set<std::string> given;
    auto err = entry.entries([&](const yaml_field& x, const std::string& key) {
      given.insert(key);
      return read_agent_key(x, key, agent);
    });
    if (err)
      return err;
    for (const auto* required : {"name", "url"})
      if (given.count(required) == 0)
        return entry.fail("missing key " + quote(required));
    return caf::error{};
  };
  if (auto err = in.elements(read_entry))
    return err;
  out.agents = std::move(agents);
  return {};
}

config::maybe_problem check_agent(const std::string& key,
                                  const a2a_remote_agent& x) {
  if (auto p = config::check(key + ".name", tool_server_name_problem(x.name)))
    return p;
  if (auto p = config::check(key + ".url", http_url_problem(x.url)))
    return p;
  for (const auto& [name, value] : x.headers) {
    if (auto p
        = config::check(key + ".headers", http_header_name_problem(name)))
      return p;
    if (auto p = config::check(key + ".headers." + name,
                               http_header_value_problem(value)))
      return p;
  }
  if (x.call_timeout)
    return config::at_least(key + ".call_timeout", *x.call_timeout, 1ms);
  return std::nullopt;
}

config::maybe_problem check_a2a(const a2a_options& x) {
  if (auto p
      = config::check("a2a.public_url", public_url_problem(x.public_url)))
    return p;
  std::set<std::string> names;
  for (size_t i = 0; i < x.agents.size(); ++i) {
    auto key = "a2a.agents[" + std::to_string(i) + "]";
    if (auto p = check_agent(key, x.agents[i]))
      return p;
    if (!names.insert(x.agents[i].name).second)
      return config::problem{
        key + ".name", "duplicate agent name " + quote(x.agents[i].name), {}};
  }
  return std::nullopt;
}

// The remote agents by name; the file holds the rest.
std::string render_agents(const a2a_options& x) {
  auto name = [](const a2a_remote_agent& agent) {
    return agent.name;
  };
  return "[" + detail::join(x.agents, ", ", name) + "]";
}

} // namespace

const config::section<a2a_options>& a2a_section() {
  static const config::section<a2a_options> result{
    "a2a",
    {config::boolean("enabled", &a2a_options::enabled),
     config::integer("max_tasks", &a2a_options::max_tasks, 1, max_tasks_limit),
     config::integer("max_task_bytes", &a2a_options::max_task_bytes, 1024,
                     max_task_bytes_limit),
     config::text("public_url", &a2a_options::public_url),
     {"agents", read_agents, render_agents, {}, true, true}},
    check_a2a};
  return result;
}

} // namespace bsm
