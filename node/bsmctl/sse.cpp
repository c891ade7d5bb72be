#include "node/bsmctl/sse.hpp"

#include <utility>

namespace bsm::ctl {

std::optional<std::string> sse_parser::feed(std::string_view line) {
  if (line.empty()) {
    if (!has_data_)
      return std::nullopt;
    has_data_ = false;
    return std::exchange(data_, std::string{});
  }
  if (line.front() == ':')
    return std::nullopt;
  auto colon = line.find(':');
  auto field = line.substr(0, colon);
  if (field != "data")
    return std::nullopt;
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
  }
  if (has_data_)
    data_ += '\n';
  data_.append(value.data(), value.size());
  has_data_ = true;
  return std::nullopt;
}

} // namespace bsm::ctl
