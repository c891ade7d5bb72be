#include "workflows/yaml_to_json.hpp"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <regex>

#include <yaml-cpp/yaml.h>

#include "runtime/config/yaml_reader.hpp"
#include "runtime/error.hpp"

namespace bsm::workflows {

namespace {

using nlohmann::json;

bool is_null_word(const std::string& x) {
  return x.empty() || x == "~" || x == "null" || x == "Null" || x == "NULL";
}

// Core schema integers and floats only (no 0x, 0o, .inf or .nan: a
// definition has no use for them and JSON has no spelling for the last two).
std::optional<json> number_of(const std::string& x) {
  static const std::regex integer{"[-+]?[0-9]+"};
  static const std::regex floating{
    "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?"};
  if (std::regex_match(x, integer)) {
    const auto* first = x.data() + (x[0] == '+' ? 1 : 0);
    const auto* last = x.data() + x.size();
    if (x[0] == '-') {
      int64_t value = 0;
      if (std::from_chars(first, last, value).ec == std::errc{})
        return json(value);
    } else {
      uint64_t value = 0;
      if (std::from_chars(first, last, value).ec == std::errc{})
        return json(value);
    }
  }
  if (std::regex_match(x, floating)) {
    errno = 0;
    double value = std::strtod(x.c_str(), nullptr);
    if (errno == 0)
      return json(value);
  }
  return std::nullopt;
}

json scalar_of(const YAML::Node& node) {
  const auto& text = node.Scalar();
  // "!" marks a quoted scalar, an explicit !!str tag means text too.
  if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str")
    return text;
  if (is_null_word(text))
    return nullptr;
  if (text == "true" || text == "True" || text == "TRUE")
    return true;
  if (text == "false" || text == "False" || text == "FALSE")
    return false;
  if (auto number = number_of(text))
    return *number;
  return text;
}

class converter {
public:
  converter(const std::string& origin, line_map& lines)
    : origin_(origin), lines_(lines) {}

  caf::expected<json> convert(const YAML::Node& node, const std::string& path,
                              int line) {
    lines_.add(path, line);
    switch (node.Type()) {
      case YAML::NodeType::Scalar: return scalar_of(node);
      case YAML::NodeType::Sequence: return sequence(node, path);
      case YAML::NodeType::Map: return map(node, path);
      default: return json(nullptr);
    }
  }

private:
  static int line_of(const YAML::Node& node) {
    return node.Mark().line + 1;
  }

  caf::error fail(int line, const std::string& what) const {
    return make_error(errc::invalid_argument,
                      location(origin_, line) + ": " + what);
  }

  caf::expected<json> sequence(const YAML::Node& node,
                               const std::string& path) {
    auto result = json::array();
    size_t index = 0;
    for (const auto& element : node) {
      auto at = path + "[" + std::to_string(index++) + "]";
      auto value = convert(element, at, line_of(element));
      if (!value)
        return value.error();
      result.push_back(std::move(*value));
    }
    return result;
  }

  caf::expected<json> map(const YAML::Node& node, const std::string& path) {
    auto result = json::object();
    for (const auto& entry : node) {
      if (!entry.first.IsScalar())
        return fail(line_of(entry.first),
                    "a key must be text, got "
                      + bsm::detail::describe(entry.first));
      const auto& key = entry.first.Scalar();
      auto at = path.empty() ? key : path + "." + key;
      if (result.contains(key))
        return fail(line_of(entry.first),
                    "duplicate key " + bsm::detail::quote(at));
      // The key's line: a value on the lines below still belongs to it.
      auto value = convert(entry.second, at, line_of(entry.first));
      if (!value)
        return value.error();
      result[key] = std::move(*value);
    }
    return result;
  }

  const std::string& origin_;
  line_map& lines_;
};

} // namespace

std::string location(const std::string& origin, int line) {
  auto at = std::to_string(line);
  return origin.empty() ? "line " + at : origin + ":" + at;
}

void line_map::add(std::string path, int line) {
  lines_.emplace(std::move(path), line);
}

int line_map::line_of(std::string_view path) const {
  while (true) {
    if (auto i = lines_.find(path); i != lines_.end())
      return i->second;
    if (path.empty())
      return 0;
    auto cut = path.find_last_of(".[");
    path = path.substr(0, cut == std::string_view::npos ? 0 : cut);
  }
}

caf::expected<yaml_document> yaml_to_json(std::string_view text,
                                          const std::string& origin) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string{text});
  } catch (const YAML::Exception& x) {
    return make_error(errc::invalid_argument,
                      (origin.empty() ? "" : origin + ": ")
                        + bsm::detail::syntax_error(x));
  }
  if (documents.size() > 1)
    return make_error(errc::invalid_argument,
                      (origin.empty() ? "" : origin + ": ")
                        + "expected one YAML document, got "
                        + std::to_string(documents.size()));
  yaml_document result;
  if (documents.empty())
    return result;
  converter convert{origin, result.lines};
  auto value = convert.convert(documents[0], "", 1);
  if (!value)
    return value.error();
  result.value = std::move(*value);
  return result;
}

} // namespace bsm::workflows
