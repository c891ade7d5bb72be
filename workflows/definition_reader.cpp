#include "workflows/definition_reader.hpp"

#include <algorithm>
#include <cmath>

#include "runtime/error.hpp"
#include "workflows/workflow_time.hpp"

namespace bsm::workflows::detail {

using nlohmann::json;
using std::chrono::milliseconds;

bool is_name(std::string_view x) {
  return !x.empty() && x.size() <= 64
         && std::all_of(x.begin(), x.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                     || c == '_' || c == '-';
            });
}

std::string describe(const json& x) {
  switch (x.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return x.get<bool>() ? "true" : "false";
    case json::value_t::string: {
      auto text = x.get<std::string>();
      if (text.size() > 64)
        text = text.substr(0, 61) + "...";
      return "'" + text + "'";
    }
    case json::value_t::array: return "a list";
    case json::value_t::object: return "an object";
    default: return "the number " + x.dump();
  }
}

std::string message_of(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  return render(err);
}

object_reader::object_reader(const json& value, std::string path,
                             std::string who, std::string prefix,
                             std::optional<problem>& failure)
  : value_(&value), path_(std::move(path)), who_(std::move(who)),
    prefix_(std::move(prefix)), failure_(&failure) {
  // nop
}

const json* object_reader::find(std::string_view key) const {
  if (!value_->is_object())
    return nullptr;
  auto i = value_->find(key);
  return i == value_->end() ? nullptr : &*i;
}

bool object_reader::has(std::string_view key) const {
  return find(key) != nullptr;
}

std::string object_reader::path_of(std::string_view key) const {
  if (key.empty())
    return path_;
  return path_.empty() ? std::string{key} : path_ + "." + std::string{key};
}

void object_reader::fail(std::string_view key, const std::string& what) {
  if (!ok())
    return;
  std::string label = prefix_ + std::string{key};
  if (key.empty() && !label.empty())
    label.pop_back(); // "backoff." names the object "backoff"
  if (!who_.empty())
    label = label.empty() ? who_ : who_ + ": " + label;
  *failure_ = problem{path_of(key), label.empty() ? what : label + ": " + what};
}

void object_reader::expected(std::string_view key, const std::string& what,
                             const json& got) {
  fail(key, "expected " + what + ", got " + describe(got));
}

void object_reader::name_as(std::string who) {
  who_ = std::move(who);
}

void object_reader::only(const std::vector<std::string_view>& known,
                         std::string_view kind) {
  for (const auto& [key, value] : value_->items())
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string list;
      for (auto k : known)
        list += (list.empty() ? "" : ", ") + std::string{k};
      fail(key,
           "unknown key for " + std::string{kind} + " (known: " + list + ")");
      return;
    }
}

std::string object_reader::text(std::string_view key, bool required) {
  const auto* x = find(key);
  if (!x) {
    if (required)
      fail(key, "missing");
    return {};
  }
  if (!x->is_string()) {
    expected(key, "text", *x);
    return {};
  }
  return x->get<std::string>();
}

std::string object_reader::name(std::string_view key, bool required) {
  auto result = text(key, required);
  if (ok() && has(key) && !is_name(result))
    expected(key, "a name of a-z, 0-9, '_' and '-' (1..64)", json(result));
  return ok() ? result : std::string{};
}

std::vector<std::string> object_reader::names(std::string_view key) {
  const auto* x = find(key);
  if (!x)
    return {};
  std::vector<std::string> result;
  if (!x->is_array()) {
    expected(key, "a list of step ids", *x);
    return {};
  }
  for (const auto& element : *x) {
    if (!element.is_string() || !is_name(element.get<std::string>())) {
      expected(key, "a list of step ids", element);
      return {};
    }
    result.push_back(element.get<std::string>());
  }
  return result;
}

std::optional<milliseconds> object_reader::duration(std::string_view key,
                                                    bool required) {
  const auto* x = find(key);
  if (!x) {
    if (required)
      fail(key, "missing");
    return std::nullopt;
  }
  auto result
    = x->is_string() ? parse_duration(x->get<std::string>()) : std::nullopt;
  if (!result)
    expected(key, duration_expected, *x);
  return result;
}

uint32_t object_reader::integer(std::string_view key, int64_t min, int64_t max,
                                uint32_t fallback) {
  const auto* x = find(key);
  if (!x)
    return fallback;
  auto range = std::to_string(min) + ".." + std::to_string(max);
  if (!x->is_number_integer() || x->get<int64_t>() < min
      || x->get<int64_t>() > max
      || (x->is_number_unsigned() && x->get<uint64_t>() > uint64_t(max))) {
    expected(key, "an integer in " + range, *x);
    return fallback;
  }
  return static_cast<uint32_t>(x->get<int64_t>());
}

double object_reader::number(std::string_view key, double min, double max,
                             double fallback) {
  const auto* x = find(key);
  if (!x)
    return fallback;
  if (!x->is_number() || x->get<double>() < min || x->get<double>() > max) {
    expected(key, "a number in " + json(min).dump() + ".." + json(max).dump(),
             *x);
    return fallback;
  }
  return x->get<double>();
}

json object_reader::object(std::string_view key) {
  const auto* x = find(key);
  if (!x)
    return json::object();
  if (!x->is_object()) {
    expected(key, "an object", *x);
    return json::object();
  }
  return *x;
}

json object_reader::any(std::string_view key) {
  const auto* x = find(key);
  return x ? *x : json(nullptr);
}

std::optional<object_reader> object_reader::nested(std::string_view key,
                                                   bool required) {
  const auto* x = find(key);
  if (!x) {
    if (required)
      fail(key, "missing");
    return std::nullopt;
  }
  if (!x->is_object()) {
    expected(key, "an object", *x);
    return std::nullopt;
  }
  return object_reader{*x, path_of(key), who_, prefix_ + std::string{key} + ".",
                       *failure_};
}

size_t object_reader::list(std::string_view key, bool required) {
  const auto* x = find(key);
  if (!x) {
    if (required)
      fail(key, "missing");
    return 0;
  }
  if (!x->is_array()) {
    expected(key, "a list", *x);
    return 0;
  }
  return x->size();
}

std::optional<object_reader> object_reader::element(std::string_view key,
                                                    size_t index) {
  const auto& x = (*find(key))[index];
  auto at = path_of(key) + "[" + std::to_string(index) + "]";
  auto name = prefix_ + std::string{key} + "[" + std::to_string(index) + "]";
  if (!x.is_object()) {
    fail(std::string{key} + "[" + std::to_string(index) + "]",
         "expected an object, got " + describe(x));
    return std::nullopt;
  }
  return object_reader{x, at, name, "", *failure_};
}

} // namespace bsm::workflows::detail
