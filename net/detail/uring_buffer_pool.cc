#include "net/detail/uring_buffer_pool.h"

#include <sys/mman.h>

#include <cerrno>

#include "net/detail/errno_status.h"
#include "net/detail/uring_compat.h"

namespace uxcom::net::detail {
namespace {

// Provided buffers offered to the kernel at first (16 KiB each by default: 1 MiB).
constexpr uint32_t kInitialWindow = 64;

}  // namespace

ProvidedBufferPool::~ProvidedBufferPool() {
  if (buffers_ != nullptr) munmap(buffers_, buffers_bytes_);
}

absl::Status ProvidedBufferPool::Init(io_uring* ring, uint32_t count, uint32_t size) {
  int err = 0;
  buf_ring_ = SetupBufRing(ring, count, kGroup, &err);
  if (buf_ring_ == nullptr) return ErrnoStatus(-err, "io_uring_register_buf_ring");
  count_ = count;
  size_ = size;
  buffers_bytes_ = static_cast<size_t>(count) * size;
  void* mem =
      mmap(nullptr, buffers_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) {
    absl::Status s = ErrnoStatus(errno, "mmap(recv buffers)");
    Free(ring);
    return s;
  }
  buffers_ = static_cast<std::byte*>(mem);
  ring_mask_ = static_cast<uint16_t>(io_uring_buf_ring_mask(count));
  slot_bid_.assign(count, 0);
  bid_slot_.assign(count, 0);
  free_stack_.reserve(count);
  for (uint32_t bid = count; bid-- > 0;) free_stack_.push_back(static_cast<uint16_t>(bid));
  window_ = std::min<uint32_t>(count, kInitialWindow);
  return absl::OkStatus();
}

void ProvidedBufferPool::Free(io_uring* ring) {
  if (buf_ring_ == nullptr) return;
  FreeBufRing(ring, buf_ring_, count_, kGroup);
  buf_ring_ = nullptr;
}

void ProvidedBufferPool::Refill() {
  if (buf_ring_ == nullptr || ring_count_ >= window_ || free_stack_.empty()) return;
  int added = 0;
  while (ring_count_ < window_ && !free_stack_.empty()) {
    uint16_t bid = free_stack_.back();
    free_stack_.pop_back();
    auto slot = static_cast<uint16_t>((ring_tail_ + added) & ring_mask_);
    io_uring_buf_ring_add(buf_ring_, Address(bid), size_, bid, ring_mask_, added);
    slot_bid_[slot] = bid;
    bid_slot_[bid] = slot;
    ++added;
    ++ring_count_;
  }
  io_uring_buf_ring_advance(buf_ring_, added);  // one release store for the whole batch
  ring_tail_ = static_cast<uint16_t>(ring_tail_ + added);
}

}  // namespace uxcom::net::detail
