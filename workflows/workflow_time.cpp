#include "workflows/workflow_time.hpp"

#include <charconv>
#include <cstdint>
#include <limits>

#include "runtime/config/yaml_reader.hpp"

namespace bsm::workflows {

namespace {

using std::chrono::milliseconds;

constexpr int64_t ms_per_day = 86'400'000;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Reads exactly `n` digits at `pos` into `out`.
bool digits(std::string_view x, size_t pos, size_t n, int& out) {
  if (pos + n > x.size())
    return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!is_digit(x[i]))
      return false;
    out = out * 10 + (x[i] - '0');
  }
  return true;
}

bool leap(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int days_in_month(int year, int month) {
  constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && leap(year) ? 29 : days[month - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil), so no time zone database or timegm is involved.
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// The zone suffix at `pos`: "Z" or "+hh:mm"/"-hh:mm", as an offset in
// minutes east of UTC.
std::optional<int> zone_offset(std::string_view x, size_t pos) {
  if (pos + 1 == x.size() && (x[pos] == 'Z' || x[pos] == 'z'))
    return 0;
  int hours = 0;
  int minutes = 0;
  if (pos + 6 != x.size() || (x[pos] != '+' && x[pos] != '-')
      || !digits(x, pos + 1, 2, hours) || x[pos + 3] != ':'
      || !digits(x, pos + 4, 2, minutes) || hours > 23 || minutes > 59)
    return std::nullopt;
  auto offset = hours * 60 + minutes;
  return x[pos] == '-' ? -offset : offset;
}

} // namespace

std::optional<milliseconds> parse_duration(std::string_view text) {
  if (text.empty() || is_digit(text.back()))
    return std::nullopt; // no unit
  if (text.back() != 'd')
    return bsm::detail::parse_duration(text);
  uint64_t days = 0;
  const auto* last = text.data() + text.size() - 1;
  auto [end, ec] = std::from_chars(text.data(), last, days);
  if (ec != std::errc{} || end != last)
    return std::nullopt;
  if (days
      > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / ms_per_day))
    return std::nullopt;
  return milliseconds{static_cast<int64_t>(days) * ms_per_day};
}

std::string render_duration(milliseconds x) {
  if (x.count() != 0 && x.count() % ms_per_day == 0)
    return std::to_string(x.count() / ms_per_day) + "d";
  return bsm::detail::render_duration(x);
}

std::optional<time_point> parse_rfc3339(std::string_view x) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(x, 0, 4, year) || x.size() < 20 || x[4] != '-'
      || !digits(x, 5, 2, month) || x[7] != '-' || !digits(x, 8, 2, day)
      || (x[10] != 'T' && x[10] != 't') || !digits(x, 11, 2, hour)
      || x[13] != ':' || !digits(x, 14, 2, minute) || x[16] != ':'
      || !digits(x, 17, 2, second))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)
      || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  size_t pos = 19;
  int64_t millis = 0;
  if (x[pos] == '.') {
    size_t first = ++pos;
    for (; pos < x.size() && is_digit(x[pos]); ++pos)
      if (pos - first < 3)
        millis = millis * 10 + (x[pos] - '0');
    if (pos == first)
      return std::nullopt;
    for (size_t n = pos - first; n < 3; ++n)
      millis *= 10;
  }
  auto offset = zone_offset(x, pos);
  if (!offset)
    return std::nullopt;
  // A leap second (:60) counts as the next second; POSIX time has none.
  int64_t seconds = days_from_civil(year, month, day) * 86'400 + hour * 3'600
                    + minute * 60 + second - *offset * 60;
  return time_point{milliseconds{seconds * 1'000 + millis}};
}

} // namespace bsm::workflows
