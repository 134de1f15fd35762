// Executor metrics: plain counters cheap enough to leave on.
//
// The executor's thread is the only writer; each counter is a relaxed atomic so any thread can
// take a Snapshot() without locks (values may be a few increments apart from each other).
//
//   ExecutorMetrics::Snapshot m = executor.metrics();
//   double batching = m.ops_per_enter();   // io_uring: SQEs per io_uring_enter
#ifndef UXCOM_NET_METRICS_H_
#define UXCOM_NET_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace uxcom::net {

class ExecutorMetrics {
 public:
  // Histogram of SQEs submitted per io_uring_enter: 0, 1, 2, 3-4, 5-8, 9-16, 17-32, >32.
  static constexpr int kBatchBuckets = 8;

  struct Snapshot {
    uint64_t loop_turns = 0;
    uint64_t enters = 0;            // io_uring_enter or epoll_wait calls
    uint64_t submissions = 0;       // SQEs submitted (io_uring)
    uint64_t completions = 0;       // CQEs or epoll events processed
    uint64_t syscalls = 0;          // direct socket syscalls (speculative/epoll send, recv, accept)
    uint64_t enobufs = 0;           // multishot recv ended by an empty buffer ring (io_uring)
    uint64_t multishot_rearms = 0;  // multishot recvs armed again after the kernel ended one
    uint64_t recv_bundles = 0;      // multishot recv completions that filled several buffers
    // Reads received straight into the caller's buffer, past the ring (direct_read_min).
    uint64_t direct_reads = 0;
    // io_uring features the kernel refused on first use although setup reported them (recv
    // bundles, multishot recv or accept): each is then turned off for the executor's life.
    uint64_t feature_fallbacks = 0;
    uint64_t cq_overflows = 0;  // kernel CQ overflow count, cumulative (io_uring)
    uint64_t bytes_sent = 0;
    uint64_t bytes_received = 0;
    uint64_t tasks_spawned = 0;
    uint64_t tasks_finished = 0;
    uint64_t timers_fired = 0;
    uint64_t posted = 0;  // closures posted from other threads
    // Listeners (see Listener::Counters): connections handed to Accept()'s callers; lost
    // between the kernel's handshake and Accept() (each cost only itself); reset at once for
    // lack of descriptors; errors of a listener itself that Accept() returned.
    uint64_t accepts = 0;
    uint64_t accept_connections_lost = 0;
    uint64_t accepts_shed = 0;
    uint64_t accept_errors = 0;
    std::array<uint64_t, kBatchBuckets> batch_histogram{};

    // (SQEs submitted + CQEs or epoll events reaped + direct socket syscalls) per
    // io_uring_enter / epoll_wait: how much work each wait amortizes.
    double ops_per_enter() const;
    std::string ToString() const;
  };

  Snapshot Take() const;

  // Writer side (executor thread only): load + store, no read-modify-write bus lock.
  static void Add(std::atomic<uint64_t>& counter, uint64_t n) {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void RecordEnter(uint64_t submitted);

  std::atomic<uint64_t> loop_turns{0};
  std::atomic<uint64_t> enters{0};
  std::atomic<uint64_t> submissions{0};
  std::atomic<uint64_t> completions{0};
  std::atomic<uint64_t> syscalls{0};
  std::atomic<uint64_t> enobufs{0};
  std::atomic<uint64_t> multishot_rearms{0};
  std::atomic<uint64_t> recv_bundles{0};
  std::atomic<uint64_t> direct_reads{0};
  std::atomic<uint64_t> feature_fallbacks{0};
  std::atomic<uint64_t> cq_overflows{0};
  std::atomic<uint64_t> bytes_sent{0};
  std::atomic<uint64_t> bytes_received{0};
  std::atomic<uint64_t> tasks_spawned{0};
  std::atomic<uint64_t> tasks_finished{0};
  std::atomic<uint64_t> timers_fired{0};
  std::atomic<uint64_t> posted{0};
  std::atomic<uint64_t> accepts{0};
  std::atomic<uint64_t> accept_connections_lost{0};
  std::atomic<uint64_t> accepts_shed{0};
  std::atomic<uint64_t> accept_errors{0};
  std::array<std::atomic<uint64_t>, kBatchBuckets> batch_histogram{};
};

}  // namespace uxcom::net

#endif  // UXCOM_NET_METRICS_H_
