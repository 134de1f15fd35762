#include "xcom/internal/frame_buffer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "xdr/enums.h"
#include "xdr/limits.h"

namespace uxcom::xcom::internal {

FrameBuffer::FrameBuffer(size_t initial_capacity, size_t max_body)
    : initial_capacity_(std::max<size_t>(initial_capacity, xdr::kFrameHeaderSize)),
      max_body_(max_body) {
  Reallocate(initial_capacity_);
}

size_t FrameBuffer::FrameSize(const xdr::FrameHeader& h) const {
  // Version requests and replies never have a body on the wire (8.0.18 reads none).
  if (xdr::IsNegotiation(h.type)) return xdr::kFrameHeaderSize;
  return xdr::kFrameHeaderSize + h.length;
}

FrameBuffer::Next FrameBuffer::Peek() {
  Next out;
  if (buffered() < xdr::kFrameHeaderSize) return out;
  out.header = xdr::LoadFrameHeader(std::span<const std::byte, xdr::kFrameHeaderSize>(
      data_.get() + head_, xdr::kFrameHeaderSize));
  out.has_header = true;
  if (!xdr::IsNegotiation(out.header.type) && out.header.length > max_body_) {
    out.kind = kTooLarge;
    return out;
  }
  out.size = FrameSize(out.header);
  if (buffered() < out.size) {
    wanted_ = out.size;
    return out;
  }
  out.kind = kFrame;
  if (out.header.type == xdr::MessageType::kNormal) {
    out.body = {data_.get() + head_ + xdr::kFrameHeaderSize, out.header.length};
  }
  return out;
}

void FrameBuffer::Consume(const Next& frame) {
  head_ += frame.size;
  wanted_ = 0;
  if (head_ == tail_) head_ = tail_ = 0;
  // After large frames, give the memory back once nothing much is buffered and a frame that
  // fits the initial capacity came (or the buffer is above kRetainedCapacity). Shrinking after
  // every large frame made a run of 256 KiB frames map, fault in and unmap each one again:
  // ~1 ms of CPU per frame here, ten times the rest of its cost.
  if (capacity_ > 4 * initial_capacity_ && buffered() <= initial_capacity_ / 2 &&
      (frame.size <= initial_capacity_ || capacity_ > kRetainedCapacity)) {
    Reallocate(initial_capacity_);
  }
}

size_t FrameBuffer::NextCapacity() const {
  if (tail_ < capacity_) return capacity_;
  const size_t pending = buffered();
  const size_t needed = std::max(wanted_, pending + 1);
  if (head_ > 0 && needed <= capacity_) return capacity_;  // moving `pending` to the front will do
  // Grow with what has arrived, not with what the header announces.
  return std::max(pending + 1, std::min(needed, 2 * capacity_));
}

std::span<std::byte> FrameBuffer::WritableSpace() {
  if (tail_ == capacity_) {
    const size_t next = NextCapacity();
    if (next == capacity_) {
      const size_t pending = buffered();
      std::memmove(data_.get(), data_.get() + head_, pending);
      head_ = 0;
      tail_ = pending;
    } else {
      Reallocate(next);
    }
  }
  return {data_.get() + tail_, capacity_ - tail_};
}

void FrameBuffer::Reallocate(size_t capacity) {
  const size_t pending = buffered();
  if (head_ != 0 && pending != 0) std::memmove(data_.get(), data_.get() + head_, pending);
  head_ = 0;
  tail_ = pending;
  data_.Resize(capacity);
  capacity_ = capacity;
}

void FrameBuffer::Mapped::Resize(size_t n) {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t want = (std::max<size_t>(n, 1) + page - 1) / page * page;
  if (want == mapped_) return;
  void* p = data_ == nullptr
                ? mmap(nullptr, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                : mremap(data_, mapped_, want, MREMAP_MAYMOVE);
  if (p == MAP_FAILED) throw std::bad_alloc();
  data_ = static_cast<std::byte*>(p);
  mapped_ = want;
}

void FrameBuffer::Mapped::Reset() {
  if (data_ != nullptr) munmap(data_, mapped_);
  data_ = nullptr;
  mapped_ = 0;
}

}  // namespace uxcom::xcom::internal
