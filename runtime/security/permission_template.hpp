#pragma once

// The permission a route requires, written once in the route table with
// the request's parts in it:
//   "agents:{name}:chat"               {name}: a path parameter
//   "actors:{name}:inject:<type>"      <type>: known once the body is read
//   "open"                             no credentials needed
// resolve() fills the parts in verbatim (never re-parsed, so a value
// cannot forge a separator); a part not given yet is unknown_segment,
// which asks whether the caller could hold the permission for some value.

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/security/permission.hpp"

namespace bsm::security {

class permission_template {
public:
  /// The text of a route that needs no credentials.
  static constexpr std::string_view open_text = "open";

  /// Errors: invalid_argument (a template is code: a bad one is a bug the
  /// route table's test finds).
  [[nodiscard]] static caf::expected<permission_template>
  parse(std::string_view text);

  bool open() const noexcept {
    return open_;
  }

  const std::string& text() const noexcept {
    return text_;
  }

  /// The permission with `{param}` from `params` and `<late>` from `late`
  /// (unknown_segment where missing).
  [[nodiscard]] permission
  resolve(const std::vector<std::pair<std::string, std::string>>& params,
          const std::map<std::string, std::string>& late = {}) const;

  /// The area (the route group), empty for an open route.
  const std::string& area() const noexcept;

  /// The names of the `<late>` parts.
  std::vector<std::string> late_parts() const;

private:
  struct part {
    enum kind_t { literal, param, late } kind;
    std::string text;
  };

  std::string text_;
  bool open_ = false;
  /// area, resource (may be absent), action, qualifier (may be absent).
  std::vector<part> parts_;
  bool has_resource_ = false;
  bool has_qualifier_ = false;
};

} // namespace bsm::security
