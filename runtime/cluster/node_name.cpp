#include "runtime/cluster/node_name.hpp"

#include <algorithm>

#include "runtime/config/yaml_reader.hpp"

namespace bsm {

namespace {

constexpr size_t max_name_length = 64;

constexpr bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

} // namespace

std::string node_name_problem(std::string_view x) {
  using detail::quote;
  if (x.empty())
    return "must not be empty";
  if (x.size() > max_name_length)
    return quote(x) + " is longer than " + std::to_string(max_name_length)
           + " characters";
  if (!std::all_of(x.begin(), x.end(), is_name_char))
    return quote(x) + " may only contain A-Z, a-z, 0-9, '.', '_' and '-'";
  return {};
}

} // namespace bsm
