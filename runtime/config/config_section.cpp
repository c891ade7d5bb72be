#include "runtime/config/config_section.hpp"

#include "runtime/config/yaml_reader.hpp"

namespace bsm::config {

maybe_problem check(std::string key, std::string text) {
  if (text.empty())
    return std::nullopt;
  return problem{std::move(key), std::move(text), {}};
}

std::string below_minimum(std::chrono::milliseconds x,
                          std::chrono::milliseconds min) {
  if (x >= min)
    return {};
  return detail::render_duration(x) + " is below the minimum of "
         + detail::render_duration(min);
}

std::string outside_range(int64_t x, int64_t min, int64_t max) {
  if (x >= min && x <= max)
    return {};
  return detail::out_of_range(std::to_string(x), min, max);
}

maybe_problem at_least(std::string key, std::chrono::milliseconds x,
                       std::chrono::milliseconds min) {
  return check(std::move(key), below_minimum(x, min));
}

maybe_problem greater(std::string key, std::chrono::milliseconds x,
                      std::string other, std::chrono::milliseconds y) {
  if (x > y)
    return std::nullopt;
  auto text = detail::render_duration(x) + " is not greater than " + other
              + " (" + detail::render_duration(y) + ")";
  return problem{std::move(key), std::move(text), std::move(other)};
}

maybe_problem not_less(std::string key, std::chrono::milliseconds x,
                       std::string other, std::chrono::milliseconds y) {
  if (x >= y)
    return std::nullopt;
  auto text = detail::render_duration(x) + " is less than " + other + " ("
              + detail::render_duration(y) + ")";
  return problem{std::move(key), std::move(text), std::move(other)};
}

} // namespace bsm::config
