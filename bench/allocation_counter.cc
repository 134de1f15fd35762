#include "bench/allocation_counter.h"

#include <atomic>
#include <cerrno>
#include <cstddef>

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
}  // namespace

uint64_t HeapAllocations() { return g_allocations.load(std::memory_order_relaxed); }

#ifdef UXCOM_NO_MALLOC_INTERPOSITION
bool HeapAllocationCountingEnabled() { return false; }
#else
bool HeapAllocationCountingEnabled() { return true; }

void CountAllocation() { g_allocations.fetch_add(1, std::memory_order_relaxed); }
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
  uxcom::bench::CountAllocation();
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t size) {
  uxcom::bench::CountAllocation();
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t n) {
  uxcom::bench::CountAllocation();
  return __libc_realloc(p, n);
}
void* aligned_alloc(size_t alignment, size_t n) {
  uxcom::bench::CountAllocation();
  return __libc_memalign(alignment, n);
}
int posix_memalign(void** out, size_t alignment, size_t n) {
  uxcom::bench::CountAllocation();
  void* p = __libc_memalign(alignment, n);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}
}
#endif
