#include "runtime/http/sse_parser.hpp"

#include <algorithm>
#include <utility>

#include "runtime/error.hpp"

namespace bsm::http {

namespace {

std::string_view without_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  return line;
}

} // namespace

caf::expected<std::vector<std::string>>
sse_parser::feed(std::string_view bytes) {
  std::vector<std::string> out;
  while (!bytes.empty()) {
    auto end = bytes.find('\n');
    if (end == std::string_view::npos) {
      line_.append(bytes.data(), bytes.size());
      break;
    }
    line_.append(bytes.data(), end);
    bytes.remove_prefix(end + 1);
    take_line(without_cr(line_), out);
    line_.clear();
  }
  if (auto err = check_bound())
    return err;
  return out;
}

caf::expected<std::optional<std::string>>
sse_parser::feed_line(std::string_view line) {
  std::vector<std::string> out;
  take_line(line, out);
  if (auto err = check_bound())
    return err;
  if (out.empty())
    return std::optional<std::string>{};
  return std::optional<std::string>{std::move(out.front())};
}

std::optional<std::string> sse_parser::finish() {
  if (!line_.empty()) {
    std::vector<std::string> ignored;
    auto line = std::exchange(line_, std::string{});
    take_line(without_cr(line), ignored);
  }
  if (!has_data_)
    return std::nullopt;
  has_data_ = false;
  return std::exchange(data_, std::string{});
}

void sse_parser::take_line(std::string_view line,
                           std::vector<std::string>& out) {
  if (line.empty()) {
    last_event_id_ = id_buffer_;
    if (has_data_) {
      out.push_back(std::exchange(data_, std::string{}));
      last_event_ = event_.empty() ? "message" : event_;
    }
    event_.clear();
    has_data_ = false;
    return;
  }
  if (line.front() == ':')
    return;
  auto colon = line.find(':');
  auto field = line.substr(0, colon);
  auto value = colon == std::string_view::npos ? std::string_view{}
                                               : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ')
    value.remove_prefix(1);
  if (field == "event") {
    event_.assign(value.data(), std::min<size_t>(value.size(), 128));
    return;
  }
  if (field == "id") {
    if (value.find('\0') == std::string_view::npos)
      id_buffer_.assign(value.data(), std::min<size_t>(value.size(), 1024));
    return;
  }
  if (field == "retry") {
    take_retry(value);
    return;
  }
  if (field != "data")
    return;
  if (has_data_)
    data_ += '\n';
  data_.append(value.data(), value.size());
  has_data_ = true;
}

void sse_parser::take_retry(std::string_view value) {
  constexpr size_t max_digits = 9; // under 12 days; no overflow
  if (value.empty() || value.size() > max_digits
      || value.find_first_not_of("0123456789") != std::string_view::npos)
    return;
  retry_ = std::chrono::milliseconds{std::stoll(std::string{value})};
}

caf::error sse_parser::check_bound() const {
  if (line_.size() + data_.size() <= max_event_bytes_)
    return caf::none;
  return make_error(errc::invalid_argument,
                    "upstream sent an event of more than "
                      + std::to_string(max_event_bytes_) + " bytes");
}

} // namespace bsm::http
