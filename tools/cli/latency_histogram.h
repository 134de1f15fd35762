// LatencyHistogram: percentiles of many latency samples in fixed memory.
//
// A tool that reports p50/p99 of every message it timed should not hold every sample: the
// demo's 1.8 million deliveries took 7 MB as a vector, growing with --messages. This keeps
// counts in 3 328 log-linear buckets (26 KB, whatever the count): values below 256 exactly,
// larger ones within 1/128 (0.8 %) of their value; the maximum is kept exactly. A percentile
// is the upper bound of the bucket holding that rank (never above the maximum), so it is at
// most 0.8 % above the exact sample a sort would give, and never below it.
//
//   LatencyHistogram h;
//   for (uint32_t us : samples) h.Add(us);
//   other.Merge(h);                       // e.g. every node's into one
//   double p99 = h.Percentile(0.99);      // 0 when empty
#ifndef UXCOM_TOOLS_CLI_LATENCY_HISTOGRAM_H_
#define UXCOM_TOOLS_CLI_LATENCY_HISTOGRAM_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace uxcom::cli {

class LatencyHistogram {
 public:
  void Add(uint32_t value);
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  uint32_t max() const { return max_; }
  // The value at quantile q in [0, 1]: the sample of rank min(count, floor(q × count) + 1) in
  // ascending order, as described above; 0 when empty.
  double Percentile(double q) const;

 private:
  static constexpr int kSubBits = 8;                  // values below 2^8 are their own bucket,
  static constexpr uint32_t kExact = 1u << kSubBits;  // each larger power of two has 128
  static constexpr size_t kBuckets = kExact + (32 - kSubBits) * (kExact / 2);
  static size_t BucketOf(uint32_t value);
  static uint32_t UpperBound(size_t bucket);

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint32_t max_ = 0;
};

}  // namespace uxcom::cli

#endif  // UXCOM_TOOLS_CLI_LATENCY_HISTOGRAM_H_
