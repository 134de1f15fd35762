#include "bench/allocation_counter.h"

#include <execinfo.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <map>
#include <vector>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define UXCOM_NO_MALLOC_INTERPOSITION 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UXCOM_NO_MALLOC_INTERPOSITION 1
#endif

namespace uxcom::bench {
namespace {
std::atomic<uint64_t> g_allocations{0};

// Allocation sites: while tracing, each allocation's call stack goes into a fixed table
// (no allocation of its own; the unwinder is loaded before tracing starts).
constexpr int kTraceDepth = 14;
constexpr size_t kTraceSlots = 1 << 14;
struct TraceSlot {
  int depth = 0;
  size_t bytes = 0;
  void* frames[kTraceDepth];
};
TraceSlot g_trace[kTraceSlots];
std::atomic<bool> g_tracing{false};
std::atomic<size_t> g_traced{0};
thread_local bool t_in_trace = false;

[[maybe_unused]] void Trace(size_t bytes) {
  if (!g_tracing.load(std::memory_order_relaxed) || t_in_trace) return;
  const size_t k = g_traced.fetch_add(1, std::memory_order_relaxed);
  if (k >= kTraceSlots) return;
  t_in_trace = true;
  g_trace[k].bytes = bytes;
  g_trace[k].depth = backtrace(g_trace[k].frames, kTraceDepth);
  t_in_trace = false;
}
}  // namespace

uint64_t HeapAllocations() { return g_allocations.load(std::memory_order_relaxed); }

void StartAllocationTrace() {
  void* warm[2];
  (void)backtrace(warm, 2);  // loads the unwinder (it allocates) before tracing starts
  g_traced.store(0, std::memory_order_relaxed);
  g_tracing.store(true, std::memory_order_relaxed);
}

void StopAllocationTrace(std::FILE* out) {
  g_tracing.store(false, std::memory_order_relaxed);
  const size_t n = std::min(g_traced.load(std::memory_order_relaxed), kTraceSlots);
  // Group identical stacks (the first two frames are the interposed allocator and Trace).
  std::map<std::vector<void*>, std::pair<size_t, size_t>> sites;  // stack -> (count, bytes)
  for (size_t k = 0; k < n; ++k) {
    const TraceSlot& s = g_trace[k];
    std::vector<void*> stack(s.frames + std::min(2, s.depth), s.frames + s.depth);
    auto& [count, bytes] = sites[stack];
    ++count;
    bytes += s.bytes;
  }
  std::vector<std::pair<size_t, const std::vector<void*>*>> order;
  for (const auto& [stack, cb] : sites) order.emplace_back(cb.first, &stack);
  std::sort(order.begin(), order.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::fprintf(out, "allocation trace: %zu allocations traced (%zu recorded), %zu sites\n",
               g_traced.load(), n, order.size());
  for (const auto& [count, stack] : order) {
    std::fprintf(out, "-- %zu allocations, %zu bytes\n", count, sites[*stack].second);
    backtrace_symbols_fd(stack->data(), static_cast<int>(stack->size()), fileno(out));
  }
}

#ifdef UXCOM_NO_MALLOC_INTERPOSITION
bool HeapAllocationCountingEnabled() { return false; }
#else
bool HeapAllocationCountingEnabled() { return true; }

void CountAllocation(size_t bytes) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  Trace(bytes);
}
#endif

}  // namespace uxcom::bench

#ifndef UXCOM_NO_MALLOC_INTERPOSITION
// glibc's own entry points, which the definitions below forward to.
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);

void* malloc(size_t n) {
  uxcom::bench::CountAllocation(n);
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t size) {
  uxcom::bench::CountAllocation(n * size);
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t n) {
  uxcom::bench::CountAllocation(n);
  return __libc_realloc(p, n);
}
void* aligned_alloc(size_t alignment, size_t n) {
  uxcom::bench::CountAllocation(n);
  return __libc_memalign(alignment, n);
}
int posix_memalign(void** out, size_t alignment, size_t n) {
  uxcom::bench::CountAllocation(n);
  void* p = __libc_memalign(alignment, n);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}
}
#endif
