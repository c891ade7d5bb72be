#include "workflows/workflows_options.hpp"

#include "runtime/config/config_fields.hpp"

namespace bsm::workflows {

const config::section<workflows_options>& workflows_section() {
  static const config::section<workflows_options> result{
    "workflows",
    {config::sequence("paths", &workflows_options::paths,
                      bsm::detail::assign<std::filesystem::path>),
     config::integer("max_running", &workflows_options::max_running, 1,
                     1'000'000),
     config::integer("max_body_bytes", &workflows_options::max_body_bytes,
                     1'024, 64ull << 20),
     config::integer("max_map_items", &workflows_options::max_map_items, 1,
                     1'000'000),
     config::integer("max_output_bytes", &workflows_options::max_output_bytes,
                     1'024, 64ull << 20)}};
  return result;
}

} // namespace bsm::workflows
