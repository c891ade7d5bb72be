#include "agents/agents_options.hpp"

#include "runtime/config/config_fields.hpp"

namespace bsm {

const config::section<agents_options>& agents_section() {
  static const config::section<agents_options> result{
    "agents",
    {config::sequence("paths", &agents_options::paths,
                      detail::assign<std::filesystem::path>)},
    [](const agents_options&) {
      return config::maybe_problem{};
    }};
  return result;
}

} // namespace bsm
