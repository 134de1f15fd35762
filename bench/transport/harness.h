// The cross-thread part of //bench:transport_bench: one thread per node, a start gate, a
// finish line, and the clock and allocation counter read around the timed phase only.
//
//   Harness h(nodes);
//   // each node thread: warm up, then h.Ready(i, ...) and wait for the start; run the timed
//   // phase, h.Finished(i, ...); keep serving its sockets until told to stop.
//   RunResult r = h.Measure(start_all, stop_all);   // on the main thread
#ifndef UXCOM_BENCH_TRANSPORT_HARNESS_H_
#define UXCOM_BENCH_TRANSPORT_HARNESS_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "bench/transport/common.h"

namespace uxcom::bench::transport {

// A count-down that can be waited for with a deadline (std::latch cannot).
class Countdown {
 public:
  explicit Countdown(int count) : count_(count) {}
  void CountDown() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--count_ == 0) cv_.notify_all();
  }
  // False on timeout.
  bool Wait(std::chrono::seconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return count_ <= 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_;
};

// What one node reports.
struct NodeResult {
  uint64_t delivered = 0;  // timed phase, over the network
  uint64_t self_delivered = 0;
  uint64_t wire_bytes = 0;
  std::vector<double> rtt_us;
  std::string error;
};

class Harness {
 public:
  explicit Harness(int nodes) : ready_(nodes), finished_(nodes), nodes_(nodes) {}

  // Node threads: the warm-up is over (or failed: set results[i].error first, then call
  // both Ready and Finished).
  void Ready() { ready_.CountDown(); }
  void Finished() { finished_.CountDown(); }
  std::vector<NodeResult>& results() { return nodes_; }

  // Main thread: waits until every node is ready, then reads the clock and the allocation
  // counter, calls `start` (which releases every node), waits until every node has finished,
  // reads them again and calls `stop`. Aborts the process if a phase takes over 120 s (a
  // node lost a message: the run cannot finish).
  RunResult Measure(const std::function<void()>& start, const std::function<void()>& stop);

 private:
  Countdown ready_;
  Countdown finished_;
  std::vector<NodeResult> nodes_;
};

}  // namespace uxcom::bench::transport

#endif  // UXCOM_BENCH_TRANSPORT_HARNESS_H_
