#include "runtime/security/request_limits.hpp"

#include <string>

#include <gtest/gtest.h>

namespace bsm::security {
namespace {

using namespace std::chrono_literals;

const request_limits::time_point t0 = request_limits::time_point{} + 1000h;

TEST(RequestLimits, ShowsTheKeysAndEvictionsOfItsBuckets) {
  metrics::registry reg;
  request_limit_options opts;
  opts.per_address_rate = 1;
  opts.per_address_burst = 1;
  request_limits limits{opts, &reg};
  // Each address takes its one token: none is idle, so every address past
  // the bound (token_bucket_options::max_keys) evicts one.
  auto bound = token_bucket_options{}.max_keys;
  for (size_t i = 0; i < bound + 7; ++i)
    EXPECT_TRUE(
      limits.check_address("10.0.0." + std::to_string(i), t0).allowed);
  auto text = reg.to_text();
  EXPECT_NE(text.find("bsm_http_rate_limit_keys{scope=\"address\"} "
                      + std::to_string(bound) + "\n"),
            std::string::npos)
    << text;
  EXPECT_NE(
    text.find("bsm_http_rate_limit_evictions_total{scope=\"address\"} 7\n"),
    std::string::npos)
    << text;
  EXPECT_NE(text.find("bsm_http_rate_limit_keys{scope=\"principal\"} 0\n"),
            std::string::npos)
    << text;
}

} // namespace
} // namespace bsm::security
