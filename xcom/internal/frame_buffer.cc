#include "xcom/internal/frame_buffer.h"

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
  // After a large frame, give the memory back once nothing much is buffered.
  if (capacity_ > 4 * initial_capacity_ && buffered() <= initial_capacity_ / 2) {
    Reallocate(initial_capacity_);
  }
}

std::span<std::byte> FrameBuffer::WritableSpace() {
  if (tail_ == capacity_) {
    size_t pending = buffered();
    size_t needed = std::max(wanted_, pending + 1);
    if (head_ > 0 && needed <= capacity_) {
      std::memmove(data_.get(), data_.get() + head_, pending);
      head_ = 0;
      tail_ = pending;
    } else {
      // Grow with what has arrived, not with what the header announces.
      Reallocate(std::max(pending + 1, std::min(needed, 2 * capacity_)));
    }
  }
  return {data_.get() + tail_, capacity_ - tail_};
}

void FrameBuffer::Reallocate(size_t capacity) {
  auto fresh = std::make_unique_for_overwrite<std::byte[]>(capacity);
  size_t pending = buffered();
  if (pending != 0) std::memcpy(fresh.get(), data_.get() + head_, pending);
  data_ = std::move(fresh);
  capacity_ = capacity;
  head_ = 0;
  tail_ = pending;
}

}  // namespace uxcom::xcom::internal
