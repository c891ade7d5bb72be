#include "runtime/metrics/text_format.hpp"

#include <charconv>
#include <cmath>
#include <limits>

#include "runtime/metrics/registry.hpp"

namespace bsm::metrics::text {

namespace {

/// The UTF-8 encoding of U+FFFD REPLACEMENT CHARACTER.
constexpr std::string_view replacement_char = "\xEF\xBF\xBD";

/// Length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629: no
/// overlong forms, surrogates or code points above U+10FFFF), or 0.
size_t utf8_sequence_length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) {
    return static_cast<unsigned char>(s[k]);
  };
  auto lead = byte(i);
  if (lead < 0x80)
    return 1;
  size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3;
    lo = lead == 0xE0 ? 0xA0 : lo;
    hi = lead == 0xED ? 0x9F : hi;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4;
    lo = lead == 0xF0 ? 0x90 : lo;
    hi = lead == 0xF4 ? 0x8F : hi;
  } else {
    return 0;
  }
  if (i + len > s.size() || byte(i + 1) < lo || byte(i + 1) > hi)
    return 0;
  for (size_t k = 2; k < len; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF)
      return 0;
  return len;
}

/// Escapes `\`, newline and (in label values) `"`. Invalid UTF-8 becomes
/// U+FFFD: Prometheus rejects the whole scrape for one bad label value, and
/// label values often come from outside (agent names, HTTP paths).
void append_escaped(std::string& out, std::string_view s, bool escape_quote) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = s[i];
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else if (auto len = utf8_sequence_length(s, i); len == 0) {
      out += replacement_char;
    } else {
      out.append(s.substr(i, len));
      i += len;
      continue;
    }
    ++i;
  }
}

/// Appends `{n1="v1",...,le="bound"}`, or nothing without labels and `le`.
void append_labels(std::string& out, const std::vector<std::string>& names,
                   const std::vector<std::string>& values, const double* le) {
  if (names.empty() && le == nullptr)
    return;
  out += '{';
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0)
      out += ',';
    out += names[i];
    out += "=\"";
    append_label_value(out, values[i]);
    out += '"';
  }
  if (le != nullptr) {
    if (!names.empty())
      out += ',';
    out += "le=\"";
    append_number(out, *le);
    out += '"';
  }
  out += '}';
}

template <class T>
void append_sample(std::string& out, std::string_view name,
                   std::string_view suffix,
                   const std::vector<std::string>& names,
                   const std::vector<std::string>& values, const double* le,
                   T value) {
  out += name;
  out += suffix;
  append_labels(out, names, values, le);
  out += ' ';
  append_number(out, value);
  out += '\n';
}

} // namespace

void append_number(std::string& out, double x) {
  if (std::isnan(x)) {
    out += "NaN";
    return;
  }
  if (std::isinf(x)) {
    out += x > 0 ? "+Inf" : "-Inf";
    return;
  }
  // Shortest round-trip digits. Plain to_chars would pick whichever form is
  // shorter ("1e+06", "1e-04"); like JavaScript (and Go down to 1e-4) we use
  // fixed notation for 1e-4 <= |x| < 1e21, so integers and typical bucket
  // bounds read naturally.
  auto abs = std::fabs(x);
  auto fmt = x == 0 || (abs >= 1e-4 && abs < 1e21)
               ? std::chars_format::fixed
               : std::chars_format::scientific;
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), x, fmt);
  out.append(buf, res.ptr);
}

void append_number(std::string& out, uint64_t x) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), x);
  out.append(buf, res.ptr);
}

void append_help(std::string& out, std::string_view help) {
  append_escaped(out, help, false);
}

void append_label_value(std::string& out, std::string_view value) {
  append_escaped(out, value, true);
}

void append_header(std::string& out, std::string_view name,
                   std::string_view help, std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  append_help(out, help);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void append_series(std::string& out, std::string_view name,
                   const std::vector<std::string>& names,
                   const std::vector<std::string>& values, const counter& x) {
  append_sample(out, name, "", names, values, nullptr, x.value());
}

void append_series(std::string& out, std::string_view name,
                   const std::vector<std::string>& names,
                   const std::vector<std::string>& values, const gauge& x) {
  append_sample(out, name, "", names, values, nullptr, x.value());
}

void append_series(std::string& out, std::string_view name,
                   const std::vector<std::string>& names,
                   const std::vector<std::string>& values, const histogram& x) {
  const auto& bounds = x.upper_bounds();
  // Derive the count from the buckets as we read them, so that name_count
  // always equals the +Inf bucket even while observe() runs concurrently.
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds.size(); ++i) {
    cumulative += x.bucket_count(i);
    append_sample(out, name, "_bucket", names, values, &bounds[i], cumulative);
  }
  cumulative += x.bucket_count(bounds.size());
  constexpr double inf = std::numeric_limits<double>::infinity();
  append_sample(out, name, "_bucket", names, values, &inf, cumulative);
  append_sample(out, name, "_sum", names, values, nullptr, x.sum());
  append_sample(out, name, "_count", names, values, nullptr, cumulative);
}

} // namespace bsm::metrics::text
