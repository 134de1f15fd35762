#include "tools/cli/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace uxcom::cli {

size_t LatencyHistogram::BucketOf(uint32_t value) {
  if (value < kExact) return value;
  // The top kSubBits bits of the value (its leading 1 included) name the bucket.
  const int shift = std::bit_width(value) - kSubBits;  // >= 1
  const uint32_t top = value >> shift;                 // in [kExact / 2, kExact)
  return kExact + static_cast<size_t>(shift - 1) * (kExact / 2) + (top - kExact / 2);
}

uint32_t LatencyHistogram::UpperBound(size_t bucket) {
  if (bucket < kExact) return static_cast<uint32_t>(bucket);
  const size_t above = bucket - kExact;
  const int shift = static_cast<int>(above / (kExact / 2)) + 1;
  const uint64_t top = kExact / 2 + above % (kExact / 2);
  return static_cast<uint32_t>(((top + 1) << shift) - 1);
}

void LatencyHistogram::Add(uint32_t value) {
  ++counts_[BucketOf(value)];
  ++count_;
  max_ = std::max(max_, value);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

double LatencyHistogram::Percentile(double q) const {
  if (count_ == 0) return 0;
  const double clamped = std::clamp(q, 0.0, 1.0);
  const uint64_t rank = std::min<uint64_t>(
      count_, static_cast<uint64_t>(std::floor(clamped * static_cast<double>(count_))) + 1);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(UpperBound(i), max_);
  }
  return max_;
}

}  // namespace uxcom::cli
