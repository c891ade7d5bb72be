#include "runtime/supervision/child_spec.hpp"

#include <set>

#include "runtime/error.hpp"

namespace bsm {

const char* to_string(restart_type x) {
  switch (x) {
    case restart_type::permanent: return "permanent";
    case restart_type::transient: return "transient";
    case restart_type::temporary: return "temporary";
  }
  return "unknown";
}

const char* to_string(restart_strategy x) {
  switch (x) {
    case restart_strategy::one_for_one: return "one_for_one";
    case restart_strategy::one_for_all: return "one_for_all";
    case restart_strategy::rest_for_one: return "rest_for_one";
  }
  return "unknown";
}

std::string child_path(const std::string& parent, const std::string& name) {
  return parent.empty() ? name : parent + "/" + name;
}

caf::error validate(const supervisor_options& opts) {
  auto fail = [&](const std::string& why) {
    return make_error(errc::invalid_argument,
                      "supervisor '" + (opts.path.empty() ? "root" : opts.path)
                        + "': " + why);
  };
  if (!opts.path.empty())
    if (auto err = name_registry::validate_path(opts.path))
      return err;
  if (opts.period.count() <= 0)
    return fail("period must be positive");
  if (opts.backoff_initial > opts.backoff_max)
    return fail("backoff_initial exceeds backoff_max");
  std::set<std::string> names;
  for (const auto& child : opts.children) {
    if (child.name.empty() || child.name.find('/') != std::string::npos)
      return fail("child name '" + child.name + "' is not one path segment");
    if (auto err = name_registry::validate_path(child.name))
      return err;
    if (!names.insert(child.name).second)
      return fail("duplicate child '" + child.name + "'");
    if (!child.start)
      return fail("child '" + child.name + "' has no factory");
  }
  return caf::none;
}

} // namespace bsm
