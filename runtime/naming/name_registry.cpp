#include "runtime/naming/name_registry.hpp"

#include <mutex>

#include "runtime/error.hpp"

namespace bsm {

namespace {

bool is_path_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
         || c == '-' || c == '.';
}

} // namespace

caf::error name_registry::validate_path(const std::string& path) {
  auto fail = [&](const char* why) {
    return make_error(errc::invalid_argument,
                      "invalid actor path '" + path + "': " + why);
  };
  if (path.empty() || path.size() > 256)
    return fail("must have 1 to 256 characters");
  if (path.front() == '/' || path.back() == '/'
      || path.find("//") != std::string::npos)
    return fail("empty path segment");
  for (auto c : path)
    if (c != '/' && !is_path_char(c))
      return fail("segments may hold only a-z, 0-9, '_', '-' and '.'");
  return caf::none;
}

caf::error name_registry::put(const std::string& path, caf::actor handle) {
  return put(path, std::move(handle), {});
}

caf::error name_registry::put(const std::string& path, caf::actor handle,
                              std::vector<std::string> handles) {
  if (auto err = validate_path(path))
    return err;
  if (!handle)
    return make_error(errc::invalid_argument,
                      "cannot register an invalid actor as '" + path + "'");
  std::unique_lock<std::shared_mutex> guard{mtx_};
  entries_[path] = std::move(handle);
  if (handles.empty())
    handles_.erase(path);
  else
    handles_[path] = std::move(handles);
  return caf::none;
}

std::vector<std::string> name_registry::handles(const std::string& path) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto i = handles_.find(path);
  return i == handles_.end() ? std::vector<std::string>{} : i->second;
}

caf::error name_registry::check_handles(const std::string& path,
                                        const std::string& type_name) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto i = handles_.find(path);
  if (i == handles_.end())
    return caf::none;
  for (const auto& x : i->second)
    if (x == type_name)
      return caf::none;
  return make_error(errc::invalid_argument,
                    "actor '" + path + "' does not handle " + type_name);
}

void name_registry::erase(const std::string& path,
                          const caf::actor_addr& handle) {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  auto i = entries_.find(path);
  if (i != entries_.end() && i->second.address() == handle) {
    entries_.erase(i);
    handles_.erase(path);
  }
}

caf::expected<caf::actor> name_registry::get(const std::string& path) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto i = entries_.find(path);
  if (i == entries_.end())
    return make_error(errc::not_found, "no actor named '" + path + "'");
  return i->second;
}

std::vector<std::pair<std::string, caf::actor>> name_registry::list() const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  return {entries_.begin(), entries_.end()};
}

size_t name_registry::size() const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  return entries_.size();
}

} // namespace bsm
