#include "workflows/definition_files.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "runtime/error.hpp"

namespace bsm::workflows {

namespace {

namespace fs = std::filesystem;

bool is_definition_file(const fs::path& p) {
  auto ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

caf::expected<std::vector<fs::path>> files_of(const fs::path& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec))
    return std::vector<fs::path>{path};
  if (!fs::is_directory(path, ec))
    return make_error(errc::invalid_argument,
                      "workflows.paths: " + path.string()
                        + " is no file or folder");
  std::vector<fs::path> result;
  for (const auto& entry : fs::directory_iterator{path, ec})
    if (entry.is_regular_file() && is_definition_file(entry.path()))
      result.push_back(entry.path());
  if (ec)
    return make_error(errc::invalid_argument, "workflows.paths: cannot read "
                                                + path.string() + ": "
                                                + ec.message());
  std::sort(result.begin(), result.end());
  return result;
}

} // namespace

caf::expected<std::vector<workflow_definition>>
load_definition_files(const std::vector<fs::path>& paths,
                      workflow_catalog catalog) {
  std::vector<workflow_definition> result;
  std::map<std::string, fs::path> origin;
  for (const auto& path : paths) {
    auto files = files_of(path);
    if (!files)
      return files.error();
    for (const auto& file : *files) {
      auto def = load_definition(file);
      if (!def)
        return def.error();
      if (auto [i, added] = origin.emplace(def->name, file); !added)
        return make_error(errc::invalid_argument,
                          file.string() + ": workflow '" + def->name
                            + "' is defined in " + i->second.string() + " too");
      result.push_back(std::move(*def));
    }
  }
  // Files may start each other's workflows.
  auto stored = catalog.has_workflow;
  catalog.has_workflow = [&origin, stored](const std::string& name) {
    return origin.count(name) > 0 || (stored && stored(name));
  };
  for (const auto& def : result)
    if (auto err = check_definition(def, catalog))
      return make_error(errc::invalid_argument,
                        origin.at(def.name).string() + ": " + render(err));
  return result;
}

} // namespace bsm::workflows
