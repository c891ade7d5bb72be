#include "runtime/logging/logging_options.hpp"

#include <algorithm>
#include <iterator>
#include <string_view>
#include <utility>

#include "runtime/config/config_fields.hpp"

namespace bsm {

namespace {

constexpr std::pair<std::string_view, log_format> format_names[] = {
  {"text", log_format::text},
  {"json", log_format::json},
};

constexpr std::string_view level_names[] = {
  "trace", "debug", "info", "warn", "error", "critical", "off",
};

std::string level_problem(std::string_view x) {
  auto i = std::find(std::begin(level_names), std::end(level_names), x);
  if (i != std::end(level_names))
    return {};
  auto self = [](std::string_view name) {
    return std::string{name};
  };
  return "expected one of " + detail::join(level_names, "|", self) + ", got "
         + detail::quote(x);
}

} // namespace

const config::section<logging_options>& logging_section() {
  static const config::section<logging_options> result{
    "logging",
    {config::text("level", &logging_options::level),
     config::one_of("format", &logging_options::format, format_names),
     config::parsed("file", &logging_options::file,
                    detail::assign<std::filesystem::path>)},
    [](const logging_options& x) {
      return config::check("logging.level", level_problem(x.level));
    }};
  return result;
}

} // namespace bsm
