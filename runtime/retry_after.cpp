#include "runtime/retry_after.hpp"

#include <caf/make_message.hpp>

namespace bsm {

caf::error make_retry_error(errc code, std::string what,
                            std::chrono::milliseconds wait) {
  return caf::error{static_cast<uint8_t>(code), errc_category,
                    caf::make_message(std::move(what), std::string{},
                                      static_cast<int64_t>(wait.count()))};
}

std::optional<std::chrono::milliseconds> retry_after_of(const caf::error& err) {
  const auto& ctx = err.context();
  if (err.category() != errc_category || ctx.size() != 3
      || !ctx.match_elements<std::string, std::string, int64_t>())
    return std::nullopt;
  return std::chrono::milliseconds{ctx.get_as<int64_t>(2)};
}

int64_t retry_after_seconds(std::chrono::milliseconds wait) {
  auto ms = wait.count();
  if (ms <= 1000)
    return 1;
  return (ms + 999) / 1000;
}

} // namespace bsm
