#include "runtime/error.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/sec.hpp>

namespace bsm {

namespace {

std::string render_context(const caf::message& ctx) {
  if (ctx.empty())
    return {};
  // One message, a message and its field (make_field_error), or both and
  // a wait (make_retry_error, retry_after.hpp).
  if (ctx.size() >= 1 && ctx.size() <= 3 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return caf::to_string(ctx);
}

std::string render_bsm(uint8_t code, const caf::message& ctx) {
  std::string result = to_string(static_cast<errc>(code));
  auto what = render_context(ctx);
  if (!what.empty())
    result += ": " + what;
  return result;
}

} // namespace

const char* to_string(errc x) {
  switch (x) {
    case errc::invalid_argument: return "invalid_argument";
    case errc::not_found: return "not_found";
    case errc::already_exists: return "already_exists";
    case errc::failed_precondition: return "failed_precondition";
    case errc::unavailable: return "unavailable";
    case errc::deadline_exceeded: return "deadline_exceeded";
    case errc::aborted: return "aborted";
    case errc::resource_exhausted: return "resource_exhausted";
    case errc::permission_denied: return "permission_denied";
    case errc::unauthenticated: return "unauthenticated";
    case errc::internal: return "internal";
    case errc::cancelled: return "cancelled";
  }
  return "unknown";
}

bool is(const caf::error& err, errc code) {
  return err.category() == errc_category
         && err.code() == static_cast<uint8_t>(code);
}

bool is_permanent_error(const caf::error& err) {
  if (err == caf::sec::unexpected_message)
    return true;
  if (err.category() != errc_category)
    return false;
  switch (static_cast<errc>(err.code())) {
    case errc::invalid_argument:
    case errc::not_found:
    case errc::already_exists:
    case errc::failed_precondition:
    case errc::resource_exhausted:
    case errc::permission_denied:
    case errc::unauthenticated: return true;
    default: return false;
  }
}

std::string field_of(const caf::error& err) {
  const auto& ctx = err.context();
  if (err.category() != errc_category || ctx.size() != 2
      || !ctx.match_elements<std::string, std::string>())
    return {};
  return ctx.get_as<std::string>(1);
}

std::string render(const caf::error& err) {
  if (!err)
    return "none";
  if (err.category() == errc_category)
    return render_bsm(err.code(), err.context());
  if (err.category() == caf::atom("system")) {
    std::string result = caf::to_string(static_cast<caf::sec>(err.code()));
    auto what = render_context(err.context());
    return what.empty() ? result : result + ": " + what;
  }
  if (err.category() == caf::atom("exit"))
    return caf::to_string(static_cast<caf::exit_reason>(err.code()));
  return caf::to_string(err);
}

void add_error_category(caf::actor_system_config& cfg) {
  cfg.add_error_category(
    errc_category, [](uint8_t code, caf::atom_value, const caf::message& ctx) {
      return render_bsm(code, ctx);
    });
}

} // namespace bsm
