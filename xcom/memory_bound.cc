#include "xcom/memory_bound.h"

#include "xcom/internal/memory_shelf.h"

namespace uxcom::xcom {

namespace {
// transport_state.h: three pools (queued messages, inbound frames, self deliveries) of at most
// pooled_messages idle objects, each keeping at most 32 KiB of buffers (larger ones go to the
// shelves) besides itself and its decoded message (under 1 KiB together).
constexpr size_t kPooledObjectBytes = 33 << 10;
// Per thread, a shelf of arenas, one of frame buffers and one of large frames' receive buffers.
constexpr size_t kShelfBytesPerThread = internal::ArenaShelf::kMaxBytes +
                                        internal::BufferShelf::kMaxBytes +
                                        internal::MappedShelf::kMaxBytes;
}  // namespace

MemoryBound ComputeMemoryBound(const TransportOptions& o, const NodeShape& s) {
  MemoryBound b;
  b.queued = (1 + s.versions) * s.servers * (o.peer_queue_bytes + s.largest_message);
  b.waiting_sends = s.waiting_sends * s.largest_message;
  b.write_batches = s.servers * (o.coalesce_buffer_size + MemoryBound::kOutboundTrackingBytes);
  b.inbox = o.inbox_bytes + 2 * o.max_frame_body;
  b.partial_frames = o.max_partial_frame_bytes;
  b.connections = (s.inbound_connections + s.servers) *
                  (o.read_buffer_size + MemoryBound::kConnectionStateBytes);
  b.receive_pools = s.executor_threads * s.receive_buffer_pool;
  b.pooled_objects = 3 * o.pooled_messages * kPooledObjectBytes;
  b.shelves = s.executor_threads * kShelfBytesPerThread;
  return b;
}

}  // namespace uxcom::xcom
