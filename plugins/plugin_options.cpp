#include "plugins/plugin_options.hpp"

#include "runtime/config/config_fields.hpp"

namespace bsm {

const config::section<plugins_options>& plugins_section() {
  static const config::section<plugins_options> result{
    "plugins",
    {config::sequence("paths", &plugins_options::paths,
                      detail::assign<std::filesystem::path>),
     config::boolean("required", &plugins_options::required)}};
  return result;
}

} // namespace bsm
