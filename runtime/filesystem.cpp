#include "runtime/filesystem.hpp"

#include "runtime/error.hpp"

namespace bsm {

caf::error ensure_directory(const std::filesystem::path& dir,
                            const std::string& what) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return make_error(errc::unavailable, "cannot create " + what + " '"
                                           + dir.string()
                                           + "': " + ec.message());
  return caf::none;
}

} // namespace bsm
