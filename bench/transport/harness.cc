#include "bench/transport/harness.h"

#include <time.h>

#include <cstdio>
#include <cstdlib>

#include "bench/allocation_counter.h"

namespace uxcom::bench::transport {

RunResult Harness::Measure(const std::function<void()>& start, const std::function<void()>& stop) {
  constexpr std::chrono::seconds kLimit(120);
  RunResult r;
  auto hung = [&](const char* phase) {
    std::fprintf(stderr, "transport_bench: the %s did not finish within %lld s\n", phase,
                 static_cast<long long>(kLimit.count()));
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (!nodes_[i].error.empty()) {
        std::fprintf(stderr, "  node %zu: %s\n", i, nodes_[i].error.c_str());
      }
    }
    std::abort();
  };
  if (!ready_.Wait(kLimit)) hung("warm-up");
  auto cpu_now = [] {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  };
  // TRANSPORT_BENCH_ALLOC_TRACE=1 prints where the timed phase's allocations come from.
  const char* trace_env = std::getenv("TRANSPORT_BENCH_ALLOC_TRACE");
  const bool trace = trace_env != nullptr && *trace_env != '\0' && *trace_env != '0';
  if (trace) StartAllocationTrace();
  const uint64_t allocations = HeapAllocations();
  const double cpu0 = cpu_now();
  const auto t0 = std::chrono::steady_clock::now();
  start();
  if (!finished_.Wait(kLimit)) hung("timed phase");
  const auto t1 = std::chrono::steady_clock::now();
  r.cpu_seconds = cpu_now() - cpu0;
  r.allocations = HeapAllocations() - allocations;
  if (trace) StopAllocationTrace(stderr);
  stop();
  r.seconds = std::chrono::duration<double>(t1 - t0).count();
  for (NodeResult& n : nodes_) {
    r.delivered += n.delivered;
    r.self_delivered += n.self_delivered;
    r.wire_bytes += n.wire_bytes;
    r.rtt_us.insert(r.rtt_us.end(), n.rtt_us.begin(), n.rtt_us.end());
    if (r.error.empty() && !n.error.empty()) r.error = n.error;
  }
  return r;
}

}  // namespace uxcom::bench::transport
