#include "runtime/metrics/registry.hpp"

#include "promtool.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/metrics/text_format.hpp"

namespace {

using namespace bsm::metrics;

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

std::string number_text(double x) {
  std::string out;
  text::append_number(out, x);
  return out;
}

// -- metric types -------------------------------------------------------------

TEST(MetricsRegistry, CounterStartsAtZeroAndIncrements) {
  counter c;
  EXPECT_EQ(c.value(), 0u);
  c.inc();
  c.inc(41);
  EXPECT_EQ(c.value(), 42u);
}

TEST(MetricsRegistry, GaugeSetsAndAddsNegativeValues) {
  gauge g;
  EXPECT_EQ(g.value(), 0.0);
  g.set(2.5);
  g.add(1.0);
  g.add(-4.0);
  EXPECT_EQ(g.value(), -0.5);
  g.set(7);
  EXPECT_EQ(g.value(), 7.0);
}

TEST(MetricsRegistry, HistogramPicksFirstBoundNotBelowValue) {
  histogram h{{1, 2, 4}};
  EXPECT_EQ(h.bucket_index(-10), 0u);
  EXPECT_EQ(h.bucket_index(1), 0u);
  EXPECT_EQ(h.bucket_index(1.5), 1u);
  EXPECT_EQ(h.bucket_index(2), 1u);
  EXPECT_EQ(h.bucket_index(4), 2u);
  EXPECT_EQ(h.bucket_index(4.01), 3u);
  EXPECT_EQ(h.bucket_index(inf), 3u);
  EXPECT_EQ(h.bucket_index(nan), 3u);
}

TEST(MetricsRegistry, HistogramCountsAndSumsObservations) {
  histogram h{{1, 2}};
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.sum(), 0.0);
  h.observe(0.5);
  h.observe(1.5);
  h.observe(1.75);
  h.observe(100);
  EXPECT_EQ(h.count(), 4u);
  EXPECT_EQ(h.sum(), 103.75);
  EXPECT_EQ(h.bucket_count(0), 1u);
  EXPECT_EQ(h.bucket_count(1), 2u);
  EXPECT_EQ(h.bucket_count(2), 1u);
  EXPECT_EQ(h.upper_bounds(), (std::vector<double>{1, 2}));
}

TEST(MetricsRegistry, HistogramRejectsInvalidBounds) {
  EXPECT_THROW(histogram({2, 1}), std::invalid_argument);
  EXPECT_THROW(histogram({1, 1}), std::invalid_argument);
  EXPECT_THROW(histogram({1, inf}), std::invalid_argument);
  EXPECT_THROW(histogram({nan}), std::invalid_argument);
  EXPECT_NO_THROW(histogram(std::vector<double>{}));
}

TEST(MetricsRegistry, MergeAddsUpWithObserve) {
  histogram h{{1, 2}};
  h.observe(0.5);
  h.observe(3);
  const uint64_t counts[] = {2, 0, 5};
  h.merge(counts, 3, 20.5);
  EXPECT_EQ(h.count(), 9u);
  EXPECT_EQ(h.sum(), 24.0);
  EXPECT_EQ(h.bucket_count(0), 3u);
  EXPECT_EQ(h.bucket_count(1), 0u);
  EXPECT_EQ(h.bucket_count(2), 6u);
}

TEST(MetricsRegistry, ExponentialBucketsMultiplyByFactor) {
  EXPECT_EQ(exponential_buckets(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
  auto xs = exponential_buckets(0.001, 10, 4);
  ASSERT_EQ(xs.size(), 4u);
  EXPECT_EQ(number_text(xs[0]), "0.001");
  EXPECT_EQ(number_text(xs[3]), "1");
}

TEST(MetricsRegistry, ExponentialBucketsRejectInvalidArguments) {
  EXPECT_THROW(exponential_buckets(0, 2, 3), std::invalid_argument);
  EXPECT_THROW(exponential_buckets(1, 1, 3), std::invalid_argument);
  EXPECT_THROW(exponential_buckets(1, 2, 0), std::invalid_argument);
  EXPECT_THROW(exponential_buckets(1, 1e300, 3), std::invalid_argument);
}

// -- registration -------------------------------------------------------------

TEST(MetricsRegistry, SameRegistrationReturnsSameFamily) {
  registry r;
  auto& a = r.counter_family("bsm_hits_total", "Hits.", {"kind"});
  auto& b = r.counter_family("bsm_hits_total", "Hits.", {"kind"});
  EXPECT_EQ(&a, &b);
  auto& g1 = r.gauge_family("bsm_depth", "Depth.");
  auto& g2 = r.gauge_family("bsm_depth", "Depth.");
  EXPECT_EQ(&g1, &g2);
  auto& h1 = r.histogram_family("bsm_latency_seconds", "Latency.", {}, {1, 2});
  auto& h2 = r.histogram_family("bsm_latency_seconds", "Latency.", {}, {1, 2});
  EXPECT_EQ(&h1, &h2);
}

TEST(MetricsRegistry, WithReturnsTheSameSeriesForTheSameLabels) {
  registry r;
  auto& f = r.counter_family("bsm_hits_total", "Hits.", {"kind", "node"});
  auto& x = f.with({"a", "n1"});
  x.inc(3);
  EXPECT_EQ(&f.with({"a", "n1"}), &x);
  EXPECT_NE(&f.with({"a", "n2"}), &x);
  EXPECT_EQ(f.with({"a", "n1"}).value(), 3u);
}

TEST(MetricsRegistry, ConflictingRegistrationThrows) {
  registry r;
  r.counter_family("bsm_hits_total", "Hits.", {"kind"});
  EXPECT_THROW(r.counter_family("bsm_hits_total", "Other.", {"kind"}),
               std::invalid_argument);
  EXPECT_THROW(r.counter_family("bsm_hits_total", "Hits.", {"type"}),
               std::invalid_argument);
  EXPECT_THROW(r.counter_family("bsm_hits_total", "Hits."),
               std::invalid_argument);
  r.gauge_family("bsm_depth", "Depth.");
  EXPECT_THROW(r.histogram_family("bsm_depth", "Depth.", {}, {1}),
               std::invalid_argument);
  r.histogram_family("bsm_latency_seconds", "Latency.", {}, {1, 2});
  EXPECT_THROW(r.gauge_family("bsm_latency_seconds", "Latency."),
               std::invalid_argument);
  EXPECT_THROW(r.histogram_family("bsm_latency_seconds", "Latency.", {}, {1}),
               std::invalid_argument);
}

TEST(MetricsRegistry, InvalidNamesThrow) {
  registry r;
  for (auto name : {"", "1abc", "a-b", "a b", "é", "a.b"})
    EXPECT_THROW(r.gauge_family(name, "Help."), std::invalid_argument) << name;
  EXPECT_NO_THROW(r.gauge_family("_a:b_c9", "Help."));
  for (auto label : {"", "1a", "a:b", "a-b", "__a", "le", "quantile"})
    EXPECT_THROW(r.gauge_family("bsm_g", "Help.", {label}),
                 std::invalid_argument)
      << label;
  EXPECT_THROW(r.histogram_family("bsm_h", "Help.", {"le"}, {1}),
               std::invalid_argument);
  EXPECT_THROW(r.gauge_family("bsm_g", "Help.", {"a", "a"}),
               std::invalid_argument);
  EXPECT_THROW(r.gauge_family("bsm_g", "", {}), std::invalid_argument);
  EXPECT_THROW(r.histogram_family("bsm_h", "Help.", {}, {2, 1}),
               std::invalid_argument);
  EXPECT_NO_THROW(r.gauge_family("bsm_g", "Help.", {"_a", "b_1"}));
}

TEST(MetricsRegistry, CounterWithoutTotalSuffixThrows) {
  registry r;
  EXPECT_THROW(r.counter_family("bsm_hits", "Hits."), std::invalid_argument);
  EXPECT_THROW(r.counter_family("bsm_hits_totals", "Hits."),
               std::invalid_argument);
  EXPECT_NO_THROW(r.counter_family("bsm_hits_total", "Hits."));
}

TEST(MetricsRegistry, ReservedSuffixesOfOtherTypesThrow) {
  registry r;
  EXPECT_THROW(r.gauge_family("bsm_hits_total", "Help."),
               std::invalid_argument);
  EXPECT_THROW(r.histogram_family("bsm_hits_total", "Help.", {}, {1}),
               std::invalid_argument);
  for (auto name : {"bsm_x_bucket", "bsm_x_sum", "bsm_x_count"})
    EXPECT_THROW(r.gauge_family(name, "Help."), std::invalid_argument) << name;
}

TEST(MetricsRegistry, WrongNumberOfLabelValuesThrows) {
  registry r;
  auto& f = r.gauge_family("bsm_depth", "Depth.", {"a", "b"});
  EXPECT_THROW(f.with({"x"}), std::invalid_argument);
  EXPECT_THROW(f.with({"x", "y", "z"}), std::invalid_argument);
  EXPECT_THROW(f.with(), std::invalid_argument);
  auto& g = r.gauge_family("bsm_up", "Up.");
  EXPECT_THROW(g.with({"x"}), std::invalid_argument);
  EXPECT_NO_THROW(g.with());
}

// -- text format --------------------------------------------------------------

TEST(MetricsRegistry, FormatsNumbersSoTheyRoundTrip) {
  EXPECT_EQ(number_text(0), "0");
  EXPECT_EQ(number_text(3), "3");
  EXPECT_EQ(number_text(-42), "-42");
  EXPECT_EQ(number_text(1e6), "1000000");
  EXPECT_EQ(number_text(0.1), "0.1");
  EXPECT_EQ(number_text(0.005), "0.005");
  EXPECT_EQ(number_text(-2.5), "-2.5");
  EXPECT_EQ(number_text(0.0001), "0.0001");
  EXPECT_EQ(number_text(0.00001), "1e-05");
  EXPECT_EQ(number_text(123456789.5), "123456789.5");
  EXPECT_EQ(number_text(1e20), "100000000000000000000");
  EXPECT_EQ(number_text(1e21), "1e+21");
  EXPECT_EQ(number_text(1e300), "1e+300");
  EXPECT_EQ(number_text(inf), "+Inf");
  EXPECT_EQ(number_text(-inf), "-Inf");
  EXPECT_EQ(number_text(nan), "NaN");
  std::mt19937_64 rng{42};
  std::uniform_real_distribution<double> exponent{-300, 300};
  for (int i = 0; i < 10000; ++i) {
    auto x = std::pow(10.0, exponent(rng)) * (i % 2 == 0 ? 1 : -1);
    EXPECT_EQ(std::strtod(number_text(x).c_str(), nullptr), x);
  }
}

TEST(MetricsRegistry, EmptyFamilyWritesHelpAndType) {
  registry r;
  r.counter_family("bsm_hits_total", "Hits.", {"kind"});
  EXPECT_EQ(r.to_text(), "# HELP bsm_hits_total Hits.\n"
                         "# TYPE bsm_hits_total counter\n");
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelp) {
  registry r;
  auto& f = r.gauge_family("bsm_g", "A \\ back\nslash.", {"v"});
  f.with({"a\\b\"c\nd"}).set(1);
  EXPECT_EQ(r.to_text(), "# HELP bsm_g A \\\\ back\\nslash.\n"
                         "# TYPE bsm_g gauge\n"
                         "bsm_g{v=\"a\\\\b\\\"c\\nd\"} 1\n");
}

TEST(MetricsRegistry, ReplacesInvalidUtf8InLabelValues) {
  registry r;
  auto& f = r.gauge_family("bsm_g", "Help.", {"v"});
  f.with({"ok \xC3\xBC \xF0\x9F\x98\x80"}).set(1);
  f.with({"bad \xFF \xC0\xAF \xED\xA0\x80 \xE2\x82"}).set(2);
  auto text = r.to_text();
  EXPECT_NE(text.find("bsm_g{v=\"ok \xC3\xBC \xF0\x9F\x98\x80\"} 1\n"),
            std::string::npos)
    << text;
  EXPECT_NE(text.find("bsm_g{v=\"bad \xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD "
                      "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD "
                      "\xEF\xBF\xBD\xEF\xBF\xBD\"} 2\n"),
            std::string::npos)
    << text;
}

TEST(MetricsRegistry, SortsFamiliesByNameAndSeriesByLabels) {
  registry r;
  auto& z = r.gauge_family("bsm_z", "Z.", {"a", "b"});
  z.with({"y", "1"}).set(1);
  z.with({"x", "2"}).set(2);
  z.with({"x", "1"}).set(3);
  r.gauge_family("bsm_m", "M.").with().set(4);
  r.counter_family("bsm_a_total", "A.").with().inc(5);
  EXPECT_EQ(r.to_text(), "# HELP bsm_a_total A.\n"
                         "# TYPE bsm_a_total counter\n"
                         "bsm_a_total 5\n"
                         "# HELP bsm_m M.\n"
                         "# TYPE bsm_m gauge\n"
                         "bsm_m 4\n"
                         "# HELP bsm_z Z.\n"
                         "# TYPE bsm_z gauge\n"
                         "bsm_z{a=\"x\",b=\"1\"} 3\n"
                         "bsm_z{a=\"x\",b=\"2\"} 2\n"
                         "bsm_z{a=\"y\",b=\"1\"} 1\n");
}

TEST(MetricsRegistry, WritesCumulativeHistogramBuckets) {
  registry r;
  auto& f = r.histogram_family("bsm_latency_seconds", "Latency.", {"op"},
                               {0.005, 0.25, 1});
  auto& h = f.with({"get"});
  h.observe(0.00390625);
  h.observe(0.25);
  h.observe(0.5);
  h.observe(7);
  EXPECT_EQ(r.to_text(),
            "# HELP bsm_latency_seconds Latency.\n"
            "# TYPE bsm_latency_seconds histogram\n"
            "bsm_latency_seconds_bucket{op=\"get\",le=\"0.005\"} 1\n"
            "bsm_latency_seconds_bucket{op=\"get\",le=\"0.25\"} 2\n"
            "bsm_latency_seconds_bucket{op=\"get\",le=\"1\"} 3\n"
            "bsm_latency_seconds_bucket{op=\"get\",le=\"+Inf\"} 4\n"
            "bsm_latency_seconds_sum{op=\"get\"} 7.75390625\n"
            "bsm_latency_seconds_count{op=\"get\"} 4\n");
}

TEST(MetricsRegistry, WritesExactTextForSmallRegistry) {
  registry r;
  auto& msgs
    = r.counter_family("bsm_messages_total", "Messages handled.", {"actor"});
  msgs.with({"b"}).inc(2);
  msgs.with({"a"}).inc();
  r.gauge_family("bsm_mailbox_depth", "Queued messages.").with().set(3);
  auto& h = r.histogram_family("bsm_handle_seconds", "Handler latency.", {},
                               {0.005, 0.5})
              .with();
  h.observe(0.00390625);
  h.observe(0.25);
  h.observe(2);
  EXPECT_EQ(r.to_text(), "# HELP bsm_handle_seconds Handler latency.\n"
                         "# TYPE bsm_handle_seconds histogram\n"
                         "bsm_handle_seconds_bucket{le=\"0.005\"} 1\n"
                         "bsm_handle_seconds_bucket{le=\"0.5\"} 2\n"
                         "bsm_handle_seconds_bucket{le=\"+Inf\"} 3\n"
                         "bsm_handle_seconds_sum 2.25390625\n"
                         "bsm_handle_seconds_count 3\n"
                         "# HELP bsm_mailbox_depth Queued messages.\n"
                         "# TYPE bsm_mailbox_depth gauge\n"
                         "bsm_mailbox_depth 3\n"
                         "# HELP bsm_messages_total Messages handled.\n"
                         "# TYPE bsm_messages_total counter\n"
                         "bsm_messages_total{actor=\"a\"} 1\n"
                         "bsm_messages_total{actor=\"b\"} 2\n");
}

TEST(MetricsRegistry, RunsCollectorsBeforeEveryScrape) {
  registry r;
  auto& up = r.gauge_family("bsm_uptime_seconds", "Uptime.").with();
  int calls = 0;
  r.add_collector([&] { up.set(++calls * 10); });
  // A collector may register families: to_text() holds no lock meanwhile.
  r.add_collector([&r] { r.gauge_family("bsm_late", "Late.").with().set(1); });
  EXPECT_NE(r.to_text().find("bsm_uptime_seconds 10\n"), std::string::npos);
  auto text = r.to_text();
  EXPECT_NE(text.find("bsm_uptime_seconds 20\n"), std::string::npos) << text;
  EXPECT_NE(text.find("bsm_late 1\n"), std::string::npos) << text;
  EXPECT_EQ(calls, 2);
}

TEST(MetricsRegistry, TextContentTypeIsVersion004) {
  EXPECT_STREQ(text_content_type, "text/plain; version=0.0.4; charset=utf-8");
}

// -- concurrency --------------------------------------------------------------

TEST(MetricsRegistry, ConcurrentUpdatesGiveExactTotals) {
  constexpr int threads = 4;
  constexpr int per_thread = 100000;
  registry r;
  auto& c = r.counter_family("bsm_ops_total", "Ops.").with();
  auto& g = r.gauge_family("bsm_level", "Level.").with();
  auto& h
    = r.histogram_family("bsm_size_bytes", "Sizes.", {}, {1, 2, 4}).with();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        c.inc();
        g.add(1);
        h.observe(t); // 0 and 1 in bucket 0, 2 in 1, 3 in 2
      }
    });
  for (auto& w : workers)
    w.join();
  constexpr uint64_t total = uint64_t{threads} * per_thread;
  EXPECT_EQ(c.value(), total);
  EXPECT_EQ(g.value(), static_cast<double>(total));
  EXPECT_EQ(h.count(), total);
  EXPECT_EQ(h.sum(), (0.0 + 1 + 2 + 3) * per_thread);
  EXPECT_EQ(h.bucket_count(0), 2u * per_thread); // 0 and 1
  EXPECT_EQ(h.bucket_count(1), 1u * per_thread); // 2
  EXPECT_EQ(h.bucket_count(2), 1u * per_thread); // 3
  EXPECT_EQ(h.bucket_count(3), 0u);
}

TEST(MetricsRegistry, ConcurrentRegistrationCreatesOneFamily) {
  constexpr int threads = 4;
  registry r;
  std::vector<family<counter>*> seen(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        auto& f = r.counter_family("bsm_ops_total", "Ops.", {"kind"});
        f.with({std::to_string(i % 10)}).inc();
        seen[t] = &f;
        if (i % 100 == 0)
          r.to_text();
      }
    });
  for (auto& w : workers)
    w.join();
  for (auto* f : seen)
    EXPECT_EQ(f, seen[0]);
  for (int k = 0; k < 10; ++k)
    EXPECT_EQ(seen[0]->with({std::to_string(k)}).value(), 400u);
}

// -- promtool -----------------------------------------------------------------

TEST(MetricsRegistry, OutputPassesPromtoolCheck) {
  registry r;
  auto& reqs = r.counter_family("bsm_requests_total",
                                "Requests \\ by \"path\".\n"
                                "Second line.",
                                {"path", "code"});
  for (auto path : {"", "/a\\b", "say \"hi\"", "two\nlines", "ü日本 😀",
                    "a,b=c{d}", "# not a comment", "bad \xFF utf8", "x\\"})
    reqs.with({path, "200"}).inc(3);
  reqs.with({"/", "500"}).inc(uint64_t{1} << 63);
  r.counter_family("bsm_unused_total", "Never incremented.", {"kind"});
  auto& depth = r.gauge_family("bsm_mailbox_depth", "Depth.", {"actor"});
  depth.with({"nan"}).set(nan);
  depth.with({"inf"}).set(inf);
  depth.with({"neg_inf"}).set(-inf);
  depth.with({"big"}).set(1e300);
  depth.with({"tiny"}).set(-1e-300);
  depth.with({"fraction"}).set(0.1);
  r.gauge_family("bsm_empty", "No series.");
  auto& lat = r.histogram_family("bsm_handle_seconds", "Latency.", {"actor"},
                                 exponential_buckets(0.0001, 2.5, 12));
  for (int i = 0; i < 100; ++i)
    lat.with({"a\"b"}).observe(i * 0.001);
  lat.with({"nan"}).observe(nan);
  r.histogram_family("bsm_no_bounds_seconds", "Only +Inf.", {}, {})
    .with()
    .observe(1);
  auto res = bsm::test::promtool_check(r.to_text());
  EXPECT_EQ(res.code, 0) << res.out << res.err;
  EXPECT_EQ(res.err, "");
}

} // namespace
