#include "xcom/internal/frame_buffer.h"

#include <algorithm>
#include <cstring>
#include <utility>

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

MappedBytes FrameBuffer::HandOver(const Next& frame, MappedBytes next) {
  const size_t after = tail_ - frame.size;
  std::memcpy(next.get(), data_.get() + frame.size, after);
  capacity_ = std::min(capacity_, next.size());
  head_ = 0;
  tail_ = after;
  wanted_ = 0;
  return std::exchange(data_, std::move(next));
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

}  // namespace uxcom::xcom::internal
