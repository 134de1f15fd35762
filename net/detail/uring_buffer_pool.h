// The io_uring backend's provided-buffer pool: the memory multishot recv fills, shared by every
// stream of one ring (IORING_REGISTER_PBUF_RING, kernel 5.19; bundles 6.10).
//
// The kernel takes ring entries in FIFO order, so a ring holding the whole pool (8 MiB by
// default) would pass data through every buffer in turn and each receive would write memory
// long evicted from the cache. Instead, free buffers wait on a LIFO stack and, once per loop
// turn, Refill() tops the ring up from the stack's top (the most recently used) to a window of
// entries; the window doubles whenever the ring runs dry (ENOBUFS).
//
//   ProvidedBufferPool pool;
//   absl::Status s = pool.Init(&ring, /*count=*/512, /*size=*/16384);  // registers group 0
//   pool.Refill();                                   // once per turn, before entering
//   pool.Take(first_bid, bytes, bundle, [&](uint16_t bid, uint32_t len) { ... });
//   pool.Recycle(bid);                               // its bytes were consumed
//   pool.Free(&ring);                                // before the ring is torn down
#ifndef UXCOM_NET_DETAIL_URING_BUFFER_POOL_H_
#define UXCOM_NET_DETAIL_URING_BUFFER_POOL_H_

#include <liburing.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"

namespace uxcom::net::detail {

class ProvidedBufferPool {
 public:
  // The buffer group id every multishot recv selects from.
  static constexpr int kGroup = 0;

  ProvidedBufferPool() = default;
  ProvidedBufferPool(const ProvidedBufferPool&) = delete;
  ProvidedBufferPool& operator=(const ProvidedBufferPool&) = delete;
  ~ProvidedBufferPool();  // unmaps the buffers; Free() must have unregistered the ring

  // Maps `count` (a power of two) buffers of `size` bytes and registers them with `ring` as
  // group kGroup. kInvalidArgument when the kernel has no provided-buffer rings (< 5.19): the
  // backend then receives with one-shot recv; other errors are real failures.
  absl::Status Init(io_uring* ring, uint32_t count, uint32_t size);
  // Unregisters the ring's buffer group (no-op if Init failed or was never called).
  void Free(io_uring* ring);

  bool enabled() const { return buf_ring_ != nullptr; }
  // Buffers no stream holds: offered to the kernel or waiting to be.
  uint32_t free_buffers() const { return ring_count_ + static_cast<uint32_t>(free_stack_.size()); }
  uint32_t buffer_size() const { return size_; }
  uint32_t buffer_count() const { return count_; }
  std::byte* Address(uint16_t bid) const { return buffers_ + static_cast<size_t>(bid) * size_; }

  // A multishot recv completion of `bytes` (> 0) starting in buffer `first`: calls
  // `each(bid, length)` for every buffer it filled, in order. A bundle fills consecutive ring
  // entries, each one whole except the last. Returns how many buffers it filled.
  template <typename Fn>
  uint32_t Take(uint16_t first, uint32_t bytes, bool bundle, Fn each) {
    if (!bundle) {
      --ring_count_;
      each(first, bytes);
      return 1;
    }
    uint32_t n = (bytes + size_ - 1) / size_;
    uint32_t slot = bid_slot_[first];
    for (uint32_t i = 0; i < n; ++i) {
      each(slot_bid_[(slot + i) & ring_mask_], std::min(size_, bytes - i * size_));
    }
    ring_count_ -= n;
    return n;
  }
  // The buffer's data has been consumed: it goes back on top of the free stack.
  void Recycle(uint16_t bid) { free_stack_.push_back(bid); }
  // The ring ran dry (ENOBUFS): offer more buffers from now on.
  void GrowWindow() { window_ = std::min<uint32_t>(window_ * 2, count_); }
  // Tops the kernel's ring up to the window from the top of the free stack, with one release
  // store for the whole batch.
  void Refill();

 private:
  io_uring_buf_ring* buf_ring_ = nullptr;
  std::byte* buffers_ = nullptr;
  size_t buffers_bytes_ = 0;
  uint32_t count_ = 0;
  uint32_t size_ = 0;
  std::vector<uint16_t> free_stack_;
  uint32_t ring_count_ = 0;  // buffers offered to the kernel and not yet reaped
  uint32_t window_ = 0;      // how many to offer
  uint16_t ring_tail_ = 0;   // the ring's tail, as advanced by us
  uint16_t ring_mask_ = 0;
  std::vector<uint16_t> slot_bid_;  // ring entry -> buffer id (to walk bundles)
  std::vector<uint16_t> bid_slot_;  // buffer id -> the ring entry it was last put in
};

}  // namespace uxcom::net::detail

#endif  // UXCOM_NET_DETAIL_URING_BUFFER_POOL_H_
