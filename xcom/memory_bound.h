// MemoryBound: the most a node holds for messages and connections, computed from its options.
//
// The formula of xcom/README.md ("Memory bound of a node"), written once: an operator sizing a
// node calls it with the group's shape, and //xcom:memory_attack_test checks a node under attack
// against it. Each term is a bound enforced where the bytes are held (a queue, the inbox, the
// partial-frame budget, the connection limits); the caches at the end keep only memory an
// earlier term held, for the next message.
//
//   TransportOptions o;
//   o.max_inbound_connections = 64;
//   o.max_partial_frame_bytes = 256 << 20;
//   const MemoryBound b = ComputeMemoryBound(
//       o, NodeShape{.servers = 3, .inbound_connections = 64, .largest_message = 1 << 20});
//   std::printf("%zu bytes at most, %zu of them caches\n", b.Total(), b.Caches());
#ifndef UXCOM_XCOM_MEMORY_BOUND_H_
#define UXCOM_XCOM_MEMORY_BOUND_H_

#include <cstddef>

#include "xcom/options.h"

namespace uxcom::xcom {

// What the options do not say: the group and the application (the README's letters).
struct NodeShape {
  size_t servers = 1;              // P: servers of the retained sites, this node's own included
  size_t inbound_connections = 0;  // C: at most max_inbound_connections (strangers: take it)
  size_t versions = 1;             // V: protocol versions the connections negotiated
  size_t largest_message = 0;      // M: the largest message the application sends, in bytes
  size_t waiting_sends = 0;        // W: kWait sends waiting for room at once
  size_t executor_threads = 1;     // T: executor threads running transports
  // Per executor thread, the io_uring backend's provided receive buffers
  // (ExecutorOptions::recv_buffer_count x recv_buffer_size, 8 MiB by default); 0 on epoll.
  size_t receive_buffer_pool = 0;
};

// The terms of the bound, in bytes.
struct MemoryBound {
  size_t queued = 0;          // (1 + V) x P x (peer_queue_bytes + M)
  size_t waiting_sends = 0;   // W x M
  size_t write_batches = 0;   // P x (coalesce_buffer_size + kOutboundTrackingBytes)
  size_t inbox = 0;           // inbox_bytes + D, D = 2 x max_frame_body (one decoded frame)
  size_t partial_frames = 0;  // max_partial_frame_bytes (receive buffers beyond their base)
  size_t connections = 0;     // (C + P) x (read_buffer_size + kConnectionStateBytes)
  size_t receive_pools = 0;   // T x receive_buffer_pool
  size_t pooled_objects = 0;  // 3 x pooled_messages x 33 KiB: idle pooled objects
  size_t shelves = 0;         // T x 24 MiB: per-thread shelves of large buffers

  // What one connection holds besides its receive buffer (its object, streams, timers), about.
  static constexpr size_t kConnectionStateBytes = 4096;
  // What an outbound connection reserves to count the frames a break loses (connection.h).
  static constexpr size_t kOutboundTrackingBytes = 32 << 10;

  // Memory kept only for reuse (idle pooled objects, shelves): empty on a fresh node, they
  // hold what the other terms held before.
  size_t Caches() const { return pooled_objects + shelves; }
  size_t Total() const {
    return queued + waiting_sends + write_batches + inbox + partial_frames + connections +
           receive_pools + Caches();
  }
};

MemoryBound ComputeMemoryBound(const TransportOptions& options, const NodeShape& shape);

}  // namespace uxcom::xcom

#endif  // UXCOM_XCOM_MEMORY_BOUND_H_
