#pragma once

// Permissions, as roles grant them and routes require them.
//
// A required permission names an area, optionally a resource in it, an
// action, and optionally a qualifier:
//   agents:read                              (no resource)
//   agents:legal:chat                        (resource "legal")
//   actors:agents/legal:inject:bsm.v1.ChatRequest   (qualifier: a type)
// A grant is written the same way and may be wider:
//   *                    everything
//   agents:*             every action in the area
//   agents:chat          that action on every resource, any qualifier
//   agents:legal:chat    that action on that resource, any qualifier
//   agents:leg*:chat     a resource pattern ('*' at the end only)
//   actors:agents/legal:inject:bsm.v1.ChatRequest   exactly that
// Default deny: a permission no grant covers is refused.
//
// Segments are separated by ':' and made of [A-Za-z0-9._/@-] (and '*' in
// grants), so a resource never carries a separator of its own.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

namespace bsm::security {

/// Stands for a resource or qualifier not known yet (the message type
/// of an injection before its body is read): covers() then asks whether
/// the grant could cover some value. Never parsed from text.
inline constexpr const char* unknown_segment = "?";

struct permission {
  std::string area;
  /// Empty: the permission has no resource (a grant: any resource).
  std::string resource;
  std::string action;
  /// Empty: no qualifier (a grant: any qualifier).
  std::string qualifier;

  /// The text form, as parsed.
  std::string to_string() const;
};

/// Reads a grant (wildcards allowed) or, with `required` set, a required
/// permission (no wildcards). Errors: invalid_argument naming the text.
[[nodiscard]] caf::expected<permission> parse_permission(std::string_view text,
                                                         bool required = false);

/// The problem with a grant's text (as in a role's list), or empty.
[[nodiscard]] std::string grant_problem(std::string_view text);

/// True if `grant` covers `required`.
[[nodiscard]] bool covers(const permission& grant, const permission& required);

/// The grants of one principal.
class permission_set {
public:
  permission_set() = default;

  /// Parses each grant. Errors: the first that does not parse.
  [[nodiscard]] static caf::expected<permission_set>
  parse(const std::vector<std::string>& grants);

  void add(permission grant);

  /// Adds every grant of `other`.
  void merge(const permission_set& other);

  /// True if some grant covers `required`.
  [[nodiscard]] bool allows(const permission& required) const;

  /// Parses `required` and checks it; a malformed text is refused.
  [[nodiscard]] bool allows(std::string_view required) const;

  /// The grants, as text.
  [[nodiscard]] std::vector<std::string> to_strings() const;

  bool empty() const noexcept {
    return grants_.empty();
  }

private:
  std::vector<permission> grants_;
};

} // namespace bsm::security
