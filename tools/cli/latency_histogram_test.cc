// LatencyHistogram gives the percentiles a sort of every sample would, within 0.8 % above and
// never below, in fixed memory.
#include "tools/cli/latency_histogram.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace uxcom::cli {
namespace {

// The sample of rank min(n, floor(q n) + 1), as the histogram defines a percentile.
double Exact(std::vector<uint32_t> v, double q) {
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

TEST_CASE("an empty histogram reports 0") {
  LatencyHistogram h;
  CHECK(h.count() == 0);
  CHECK(h.Percentile(0.5) == 0);
}

TEST_CASE("values below 256 are exact, and the maximum is exact at any size") {
  LatencyHistogram h;
  for (uint32_t v = 0; v < 200; ++v) h.Add(v);
  h.Add(4'000'000'007u);
  CHECK(h.Percentile(0.0) == 0);
  CHECK(h.Percentile(0.5) == 100);   // rank floor(0.5 × 201) + 1 = 101 of 0, 1, …
  CHECK(h.Percentile(0.99) == 198);  // rank floor(0.99 × 201) + 1 = 199
  CHECK(h.Percentile(1.0) == 4'000'000'007u);
  CHECK(h.max() == 4'000'000'007u);
}

TEST_CASE("percentiles are within 1/128 above the exact ones, never below, and merge adds up") {
  std::mt19937 rng(20261207);
  // Latencies spread over six orders of magnitude, like a saturated run's.
  std::lognormal_distribution<double> latency(8.0, 2.5);
  std::vector<uint32_t> all;
  LatencyHistogram a, b;
  for (int i = 0; i < 200'000; ++i) {
    const uint32_t v = static_cast<uint32_t>(std::min(latency(rng), 4e9));
    all.push_back(v);
    (i % 3 == 0 ? a : b).Add(v);
  }
  a.Merge(b);
  CHECK(a.count() == all.size());
  for (double q : {0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    const double exact = Exact(all, q);
    const double got = a.Percentile(q);
    CAPTURE(q);
    CHECK(got >= exact);
    CHECK(got <= exact + exact / 128 + 1);
  }
}

}  // namespace
}  // namespace uxcom::cli
