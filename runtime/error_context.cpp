#include "runtime/error_context.hpp"

#include "runtime/error.hpp"

namespace bsm {

caf::error in_context(const caf::error& err, const std::string& prefix) {
  if (err.category() != errc_category)
    return err;
  const auto& ctx = err.context();
  auto what = ctx.match_elements<std::string>() ? ctx.get_as<std::string>(0)
                                                : std::string{};
  return make_error(static_cast<errc>(err.code()), prefix + what);
}

} // namespace bsm
