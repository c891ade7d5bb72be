#include "tests/integration/event_stream.hpp"

#include <chrono>
#include <sstream>

namespace bsm::test {

std::unique_ptr<http_connection> open_event_stream(
  uint16_t port, const std::string& target, const std::string& body,
  std::vector<std::pair<std::string, std::string>> headers, std::string& why) {
  headers.emplace_back("Content-Type", "application/json");
  auto conn = std::make_unique<http_connection>(port);
  if (!conn->connected()
      || !conn->send(make_request("POST", target, headers, body))) {
    why = conn->error();
    return nullptr;
  }
  auto head = conn->read_head(std::chrono::seconds{30});
  if (!head || head->status != 200
      || head->header("Content-Type").rfind("text/event-stream", 0) != 0) {
    why = "no event stream: " + conn->error() + " "
          + (head ? std::to_string(head->status) + " " + head->body : "");
    return nullptr;
  }
  return conn;
}

std::string dechunk(const std::string& raw) {
  std::string out;
  size_t pos = 0;
  while (pos < raw.size()) {
    auto eol = raw.find("\r\n", pos);
    if (eol == std::string::npos)
      break;
    auto size = std::stoul(raw.substr(pos, eol - pos), nullptr, 16);
    if (size == 0)
      break;
    out += raw.substr(eol + 2, size);
    pos = eol + 2 + size + 2;
  }
  return out;
}

std::vector<std::string> sse_data(const std::string& stream) {
  std::vector<std::string> result;
  std::istringstream lines{stream};
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("data: ", 0) == 0)
      result.push_back(line.substr(6));
  return result;
}

} // namespace bsm::test
