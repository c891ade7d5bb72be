#include "runtime/http/route_table.hpp"

#include <algorithm>
#include <stdexcept>

#include "runtime/http/exchange.hpp"

namespace bsm::http {

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> result;
  if (path.empty() || path.front() != '/')
    return result;
  path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    result.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos)
      break;
    path.remove_prefix(slash + 1);
  }
  return result;
}

} // namespace

path_pattern::path_pattern(std::string pattern) : text_(std::move(pattern)) {
  if (text_.empty() || text_.front() != '/')
    throw std::invalid_argument("route pattern must start with '/': " + text_);
  for (auto segment : split_path(text_)) {
    bool is_param
      = segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
    if (is_param)
      segment = segment.substr(1, segment.size() - 2);
    segments_.emplace_back(std::string{segment}, is_param);
  }
}

std::optional<path_params> path_pattern::match(std::string_view path) const {
  auto parts = split_path(path);
  if (parts.size() != segments_.size())
    return std::nullopt;
  path_params params;
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto& [text, is_param] = segments_[i];
    if (!is_param) {
      if (parts[i] != text)
        return std::nullopt;
      continue;
    }
    if (parts[i].empty())
      return std::nullopt;
    auto value = percent_decode(parts[i]);
    if (!value)
      return std::nullopt;
    params.emplace_back(text, std::move(*value));
  }
  return params;
}

std::string allow_header(const std::vector<boost::beast::http::verb>& methods) {
  using boost::beast::http::verb;
  std::vector<verb> all = methods;
  all.push_back(verb::options);
  if (std::find(all.begin(), all.end(), verb::get) != all.end())
    all.push_back(verb::head);
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  std::string result;
  for (auto m : all) {
    if (!result.empty())
      result += ", ";
    result += std::string{boost::beast::http::to_string(m)};
  }
  return result;
}

} // namespace bsm::http
