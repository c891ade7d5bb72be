#include "runtime/http/path_normal.hpp"

#include "runtime/ascii.hpp"
#include "runtime/error.hpp"

namespace bsm::http {

namespace {

caf::error refuse(const std::string& why) {
  return make_error(errc::invalid_argument, "request path " + why);
}

bool unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
         || c == '~';
}

// One segment with its escapes normalised, or the problem.
caf::expected<std::string> normalize_segment(std::string_view in) {
  constexpr const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == ';')
      return refuse("has a ';' (path parameters are not supported)");
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    if (i + 2 >= in.size())
      return refuse("has a malformed %-escape");
    auto hi = ascii_hex_value(in[i + 1]);
    auto lo = ascii_hex_value(in[i + 2]);
    if (hi < 0 || lo < 0)
      return refuse("has a malformed %-escape");
    auto decoded = static_cast<char>(hi * 16 + lo);
    if (decoded == '\0')
      return refuse("has an escaped NUL");
    if (unreserved(decoded)) {
      out.push_back(decoded);
    } else {
      out.push_back('%');
      out.push_back(hex[hi]);
      out.push_back(hex[lo]);
    }
    i += 2;
  }
  if (out == "." || out == "..")
    return refuse("has a dot segment ('.' or '..')");
  return out;
}

} // namespace

caf::expected<std::string> normalize_path(std::string_view path) {
  if (path.empty() || path.front() != '/')
    return refuse("does not start with '/'");
  std::string result;
  result.reserve(path.size());
  size_t start = 1;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    auto end = slash == std::string_view::npos ? path.size() : slash;
    auto segment = path.substr(start, end - start);
    if (!segment.empty()) {
      auto normal = normalize_segment(segment);
      if (!normal)
        return std::move(normal.error());
      result += '/';
      result += *normal;
    }
    start = end + 1;
  }
  if (result.empty())
    result = "/";
  return result;
}

} // namespace bsm::http
