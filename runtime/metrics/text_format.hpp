#pragma once

// Writers for the Prometheus text exposition format 0.0.4, used by
// `registry::to_text()`. Callers pass valid metric and label names (the
// registry checks them); values and help texts are escaped here.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bsm::metrics {

class counter;
class gauge;
class histogram;

namespace text {

/// Appends `x` with the fewest digits that parse back to the same double:
/// fixed notation for 1e-4 <= |x| < 1e21 ("3", "1000000", "0.0001", "0.1"),
/// scientific otherwise ("1e-05", "1e+300"); "+Inf", "-Inf" and "NaN" as
/// Prometheus spells them.
void append_number(std::string& out, double x);

void append_number(std::string& out, uint64_t x);

/// Appends a HELP text with `\` and newline escaped.
void append_help(std::string& out, std::string_view help);

/// Appends a label value with `\`, `"` and newline escaped.
void append_label_value(std::string& out, std::string_view value);

/// Appends the `# HELP` and `# TYPE` lines of a family.
void append_header(std::string& out, std::string_view name,
                   std::string_view help, std::string_view type);

/// Appends the samples of one series. `names` and `values` have equal size.
void append_series(std::string& out, std::string_view name,
                   const std::vector<std::string>& names,
                   const std::vector<std::string>& values, const counter& x);

void append_series(std::string& out, std::string_view name,
                   const std::vector<std::string>& names,
                   const std::vector<std::string>& values, const gauge& x);

/// Writes cumulative `name_bucket` lines (including le="+Inf"), then
/// `name_sum` and `name_count`.
void append_series(std::string& out, std::string_view name,
                   const std::vector<std::string>& names,
                   const std::vector<std::string>& values, const histogram& x);

} // namespace text

} // namespace bsm::metrics
