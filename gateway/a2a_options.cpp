#include "gateway/a2a_options.hpp"

#include "runtime/config/config_fields.hpp"

namespace bsm::gateway {

namespace {

constexpr int64_t max_tasks_limit = 10'000'000;
constexpr int64_t max_task_bytes_limit = int64_t{16} << 30;

// An absolute http(s) URL without a trailing slash; empty is fine.
std::string public_url_problem(const std::string& url) {
  if (url.empty())
    return {};
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    return "must start with http:// or https://";
  if (url.back() == '/')
    return "must not end with '/'";
  return {};
}

} // namespace

const config::section<a2a_options>& a2a_section() {
  static const config::section<a2a_options> result{
    "a2a",
    {config::boolean("enabled", &a2a_options::enabled),
     config::integer("max_tasks", &a2a_options::max_tasks, 1, max_tasks_limit),
     config::integer("max_task_bytes", &a2a_options::max_task_bytes, 1024,
                     max_task_bytes_limit),
     config::text("public_url", &a2a_options::public_url)},
    [](const a2a_options& x) {
      return config::check("a2a.public_url", public_url_problem(x.public_url));
    }};
  return result;
}

} // namespace bsm::gateway
