#pragma once

#include <string>

#include <spdlog/formatter.h>

namespace bsm {

/// Formats each record as one JSON object per line:
/// {"time":"2026-11-22T10:00:00.123456Z","level":"info","node":"node-a",
///  "logger":"bsmd","msg":"..."}, plus "component":"x" for a
/// logger named "bsmd:x". Invalid UTF-8 is replaced, never thrown.
class json_formatter final : public spdlog::formatter {
public:
  explicit json_formatter(std::string node_name);

  void format(const spdlog::details::log_msg& msg,
              spdlog::memory_buf_t& dest) override;

  std::unique_ptr<spdlog::formatter> clone() const override;

private:
  std::string node_name_;
};

} // namespace bsm
