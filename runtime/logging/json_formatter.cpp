#include "runtime/logging/json_formatter.hpp"

#include <ctime>

#include <nlohmann/json.hpp>

namespace bsm {

namespace {

std::string utc_timestamp(spdlog::log_clock::time_point tp) {
  using namespace std::chrono;
  auto secs = time_point_cast<seconds>(tp);
  auto micros = duration_cast<microseconds>(tp - secs).count();
  auto tt = spdlog::log_clock::to_time_t(tp);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  auto n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%06lldZ",
                static_cast<long long>(micros));
  return buf;
}

} // namespace

json_formatter::json_formatter(std::string node_name)
  : node_name_(std::move(node_name)) {}

void json_formatter::format(const spdlog::details::log_msg& msg,
                            spdlog::memory_buf_t& dest) {
  auto level = spdlog::level::to_string_view(msg.level);
  std::string logger(msg.logger_name.data(), msg.logger_name.size());
  nlohmann::json line{
    {"time", utc_timestamp(msg.time)},
    {"level", std::string(level.data(), level.size())},
    {"node", node_name_},
  };
  // A component's logger is named "<logger>:<component>".
  if (auto colon = logger.find(':'); colon != std::string::npos) {
    line["component"] = logger.substr(colon + 1);
    logger.resize(colon);
  }
  line["logger"] = std::move(logger);
  line["msg"] = std::string(msg.payload.data(), msg.payload.size());
  // Replace rather than throw: a log line must never take the node down.
  auto text
    = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text += '\n';
  dest.append(text.data(), text.data() + text.size());
}

std::unique_ptr<spdlog::formatter> json_formatter::clone() const {
  return std::make_unique<json_formatter>(node_name_);
}

} // namespace bsm
