#include "tasks/tasks_options.hpp"

#include "runtime/config/config_fields.hpp"

namespace bsm::tasks {

namespace {

using namespace std::chrono_literals;

constexpr int64_t max_limit = 10'000;

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

std::string parse_agent_limit(std::string_view text, std::string& out) {
  auto problem = agent_limit_problem(text);
  if (problem.empty())
    out = std::string{text};
  return problem;
}

} // namespace

std::string agent_limit_problem(std::string_view entry) {
  auto eq = entry.find('=');
  auto expect = "'" + std::string{entry}
                + "': expected \"agent=N\" with N in 1.."
                + std::to_string(max_limit);
  if (eq == 0 || eq == std::string_view::npos || eq + 1 == entry.size())
    return expect;
  for (auto c : entry.substr(0, eq))
    if (!name_char(c))
      return expect;
  int64_t n = 0;
  for (auto c : entry.substr(eq + 1)) {
    if (c < '0' || c > '9' || n > max_limit)
      return expect;
    n = n * 10 + (c - '0');
  }
  return n < 1 || n > max_limit ? expect : std::string{};
}

std::map<std::string, uint32_t> target_limits(const tasks_options& opts) {
  std::map<std::string, uint32_t> result;
  for (const auto& entry : opts.agent_concurrency) {
    auto eq = entry.find('=');
    result["agents/" + entry.substr(0, eq)]
      = static_cast<uint32_t>(std::stoul(entry.substr(eq + 1)));
  }
  return result;
}

const config::section<tasks_options>& tasks_section() {
  static const config::section<tasks_options> result{
    "tasks",
    {config::integer("max_queued", &tasks_options::max_queued, 1, 10'000'000),
     config::integer("max_attempts", &tasks_options::max_attempts, 1, 100),
     config::duration("backoff_initial", &tasks_options::backoff_initial, 1ms),
     config::duration("backoff_max", &tasks_options::backoff_max, 1ms),
     config::integer("concurrency", &tasks_options::concurrency, 1, max_limit),
     config::sequence("agent_concurrency", &tasks_options::agent_concurrency,
                      parse_agent_limit),
     config::duration("aging_step", &tasks_options::aging_step, 1ms),
     config::duration("attempt_timeout", &tasks_options::attempt_timeout, 1ms),
     config::integer("list_limit_max", &tasks_options::list_limit_max, 1,
                     100'000)},
    [](const tasks_options& x) -> config::maybe_problem {
      if (auto p = config::not_less("tasks.backoff_max", x.backoff_max,
                                    "tasks.backoff_initial", x.backoff_initial))
        return p;
      for (const auto& entry : x.agent_concurrency)
        if (auto p = agent_limit_problem(entry); !p.empty())
          return config::problem{"tasks.agent_concurrency", p, {}};
      return std::nullopt;
    }};
  return result;
}

} // namespace bsm::tasks
