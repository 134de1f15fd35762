// Connected loopback TCP pairs for the benchmarks' harnesses (both ends TCP_NODELAY, default
// buffers). Aborts with a message on any failure: a benchmark cannot run without its sockets.
#ifndef UXCOM_BENCH_LOOPBACK_PAIRS_H_
#define UXCOM_BENCH_LOOPBACK_PAIRS_H_

#include <utility>
#include <vector>

namespace uxcom::bench {

// `n` pairs {connecting side, accepted side} of file descriptors the caller owns.
std::vector<std::pair<int, int>> LoopbackPairs(int n);

}  // namespace uxcom::bench

#endif  // UXCOM_BENCH_LOOPBACK_PAIRS_H_
