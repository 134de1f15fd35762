// What the three implementations of //bench:transport_bench share, so that they do the same
// work: the message, the loopback sockets, the closed-loop window every node's driver follows,
// and the result of a run.
//
// The workload (bench/README.md, "transport_bench"): N nodes on loopback, one thread each.
// Every node broadcasts M accept_op messages carrying one app_data of P payload bytes (XCom's
// send_to_all: every other node over TCP, itself without a socket) and receives every node's
// M messages, checking that each arrives exactly once and in per-sender order. A node may send
// its message k only once it has received message k - window from every node (itself
// included): the pipelining a Paxos proposer has, which keeps every queue bounded without any
// drop. Throughput counts messages delivered over the network, N * (N - 1) * M per run.
#ifndef UXCOM_BENCH_TRANSPORT_COMMON_H_
#define UXCOM_BENCH_TRANSPORT_COMMON_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "net/testing.h"
#include "xdr/pax_msg.h"

namespace uxcom::bench::transport {

// The broadcast message: an accept_op of group kGroup with one app_data whose app_type payload
// has `payload` bytes (static storage), carrying every field of x_1_6. Drivers put their
// sequence number in synode.msgno; the transport stamps `from` and `to`.
inline constexpr uint32_t kGroup = 0x5eed1234;
xdr::PaxMsg BroadcastMessage(size_t payload);
// The request and reply of the latency benchmark (a client_msg / its answer, 100 B payload).
xdr::PaxMsg RequestMessage();
xdr::PaxMsg ReplyMessage();

// One run's shape.
struct Workload {
  int nodes = 3;
  size_t payload = 100;
  uint64_t warmup = 0;    // messages per node before the timed phase
  uint64_t messages = 0;  // messages per node in the timed phase
  uint64_t window = 0;    // see the file comment
};
// The workload of a throughput benchmark: ~`bytes` of frames delivered over the network per
// run, a window of about 256 KiB of frames per sender.
Workload MakeWorkload(int nodes, size_t payload, size_t frame_size);

struct RunResult {
  double seconds = 0;           // the timed phase
  double cpu_seconds = 0;       // CPU time of every thread of the process in it (user + sys)
  uint64_t delivered = 0;       // messages delivered over the network in it
  uint64_t self_delivered = 0;  // and to the sender itself (not in `delivered`)
  uint64_t wire_bytes = 0;      // frame bytes of `delivered`
  uint64_t allocations = 0;     // heap allocations in the timed phase (every thread)
  std::vector<double> rtt_us;   // latency benchmark: every round trip
  std::string error;            // non-empty: the run failed
};

// The window and the delivery check of one node (every implementation's driver uses it).
class Progress {
 public:
  Progress(int nodes, uint64_t window);
  // May the node send its message `seq` (0-based)?
  bool CanSend(uint64_t seq) const { return seq < min_received_ + window_; }
  // Records message `seq` from `from`; false (and error()) if it is not the next expected one.
  bool Receive(uint32_t from, uint64_t seq);
  uint64_t total() const { return total_; }
  const std::string& error() const { return error_; }

 private:
  std::vector<uint64_t> next_;
  uint64_t window_;
  uint64_t min_received_ = 0;
  uint64_t total_ = 0;
  std::string error_;
};

// Connected loopback TCP pairs (TCP_NODELAY on both ends), for the implementations that do
// not dial their own: out[i][j] is node i's socket to node j, in[j][i] the other end (node j
// reads what i sends). -1 on the diagonal.
struct Mesh {
  std::vector<std::vector<int>> out;
  std::vector<std::vector<int>> in;
};
Mesh MakeMesh(int nodes);

// A loopback TCP port nobody listens on right now, drawn below the ephemeral range so that
// the outgoing connections of earlier runs cannot take it (net/testing.h).
using net::testing::ReservePort;

[[noreturn]] void Die(const char* what);

}  // namespace uxcom::bench::transport

#endif  // UXCOM_BENCH_TRANSPORT_COMMON_H_
