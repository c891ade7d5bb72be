#include "runtime/logging/logger.hpp"

#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "runtime/error.hpp"
#include "runtime/logging/json_formatter.hpp"

namespace bsm {

namespace {

// spdlog's own default. The queue is allocated whole at start (about 400
// bytes a record), so 32,768 held 12.8 MiB of an idle node's memory; a
// writer that falls this far behind drops the oldest and counts them.
constexpr size_t queue_capacity = 8192;

caf::expected<spdlog::sink_ptr> make_sink(const logging_options& opts) {
  if (opts.file.empty())
    return std::make_shared<spdlog::sinks::stderr_sink_mt>();
  try {
    return std::make_shared<spdlog::sinks::basic_file_sink_mt>(
      opts.file.string(), false);
  } catch (const spdlog::spdlog_ex& ex) {
    return make_error(errc::unavailable, "cannot open log file '"
                                           + opts.file.string()
                                           + "': " + ex.what());
  }
}

} // namespace

size_t node_logger::dropped() const {
  auto tp = std::static_pointer_cast<spdlog::details::thread_pool>(pool);
  return tp ? tp->overrun_counter() : 0;
}

caf::expected<node_logger> make_node_logger(const logging_options& opts,
                                            const std::string& node_name) {
  auto level = spdlog::level::from_str(opts.level);
  if (level == spdlog::level::off && opts.level != "off")
    return make_error(errc::invalid_argument,
                      "unknown log level '" + opts.level + "'");
  auto sink = make_sink(opts);
  if (!sink)
    return sink.error();
  if (opts.format == log_format::json)
    (*sink)->set_formatter(std::make_unique<json_formatter>(node_name));
  else
    (*sink)->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  auto pool = std::make_shared<spdlog::details::thread_pool>(queue_capacity, 1);
  // overrun_oldest: when the writer falls behind, drop records instead of
  // blocking the (scheduler) thread that logs.
  auto log = std::make_shared<spdlog::async_logger>(
    "bsmd", std::move(*sink), pool,
    spdlog::async_overflow_policy::overrun_oldest);
  log->set_level(level);
  log->flush_on(spdlog::level::warn);
  return node_logger{std::move(log), std::move(pool)};
}

std::shared_ptr<spdlog::logger> make_stderr_logger(const std::string& name) {
  return std::make_shared<spdlog::logger>(
    name, std::make_shared<spdlog::sinks::stderr_sink_mt>());
}

std::shared_ptr<spdlog::logger> make_null_logger() {
  return std::make_shared<spdlog::logger>(
    "null", std::make_shared<spdlog::sinks::null_sink_mt>());
}

} // namespace bsm
