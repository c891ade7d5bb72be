#include "agents/models/openai_options.hpp"

#include <string_view>

#include "runtime/config/config_fields.hpp"

namespace bsm {

namespace {

using namespace std::chrono_literals;

constexpr int64_t max_retries = 10;
constexpr int64_t max_concurrency = 256;

std::string http_url_problem(std::string_view x) {
  for (std::string_view scheme : {"http://", "https://"})
    if (x.size() > scheme.size() && x.substr(0, scheme.size()) == scheme)
      return {};
  return "expected an http:// or https:// URL, got " + detail::quote(x);
}

config::maybe_problem check_openai(const openai_options& x) {
  if (auto p = config::check("openai.base_url", http_url_problem(x.base_url)))
    return p;
  return config::not_less("openai.retry_backoff_max", x.retry_backoff_max,
                          "openai.retry_backoff_initial",
                          x.retry_backoff_initial);
}

} // namespace

const config::section<openai_options>& openai_section() {
  static const config::section<openai_options> result{
    "openai",
    {config::text("base_url", &openai_options::base_url),
     config::text("api_key", &openai_options::api_key),
     config::text("api_key_env", &openai_options::api_key_env),
     config::duration("timeout", &openai_options::timeout, 1ms),
     config::duration("connect_timeout", &openai_options::connect_timeout, 1ms),
     config::integer("max_retries", &openai_options::max_retries, 0,
                     max_retries),
     config::duration("retry_backoff_initial",
                      &openai_options::retry_backoff_initial, 1ms),
     config::duration("retry_backoff_max", &openai_options::retry_backoff_max),
     config::integer("max_concurrency", &openai_options::max_concurrency, 1,
                     max_concurrency)},
    check_openai};
  return result;
}

} // namespace bsm
