// Counts heap allocations in a benchmark binary: every malloc, calloc, realloc, aligned_alloc
// and posix_memalign (operator new included, it calls malloc), by interposing glibc's allocator
// entry points. Link it into a binary and read the counter around the code under test:
//
//   const uint64_t before = uxcom::bench::HeapAllocations();
//   ... one operation ...
//   state.counters["allocs/op"] = HeapAllocations() - before;
//
// Sanitizer builds have their own allocator: there the counter is disabled and
// HeapAllocationCountingEnabled() is false.
//
// To find where the allocations come from, trace them: every allocation between the two calls
// records its call stack (the first 16384, in a static table), and the stop prints each
// distinct stack with its count, heaviest first, as binary(+offset) frames for addr2line:
//
//   StartAllocationTrace();
//   ... the code under test ...
//   StopAllocationTrace(stderr);
#ifndef UXCOM_BENCH_ALLOCATION_COUNTER_H_
#define UXCOM_BENCH_ALLOCATION_COUNTER_H_

#include <cstdint>
#include <cstdio>

namespace uxcom::bench {

uint64_t HeapAllocations();
bool HeapAllocationCountingEnabled();
void StartAllocationTrace();
void StopAllocationTrace(std::FILE* out);

}  // namespace uxcom::bench

#endif  // UXCOM_BENCH_ALLOCATION_COUNTER_H_
