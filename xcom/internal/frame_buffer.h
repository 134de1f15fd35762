// FrameBuffer: cuts the bytes received on a connection into XCom frames, without I/O.
//
// The reading task receives into WritableSpace(), Commit()s what arrived and takes frames with
// Next() until it says kNeedMore. Framing follows MySQL 8.0.18 (wire-format spec §1.6): a
// version request or reply is exactly the 12-byte header whatever its length field says; a
// normal frame is the header plus `length` body bytes. One deliberate difference: a frame of
// a type 8.0.18 does not know is skipped together with its `length` body bytes (8.0.18 skips
// only the header and then reads the body as the next header, losing the stream).
//
// Memory: the buffer starts at `initial_capacity` and grows only as a frame's bytes actually
// arrive (doubling, at most to the frame's size), so a header announcing a huge body costs
// nothing until the body comes; a length above `max_body` is reported before any growth.
// The buffer shrinks back after large frames: at the first frame that fits the initial
// capacity, at once if it grew above kRetainedCapacity (a run of large frames reuses it). The
// buffer is mapped memory that grows and shrinks with mremap: growing moves page tables instead of
// copying (and faulting in) what arrived, so a 1 GiB frame never costs the executor one long copy.
// A frame larger than the initial capacity can be handed over with the memory it arrived in
// (HandOver), so that its payload is never copied out; the buffer goes on in other memory.
//
//   FrameBuffer in(64 * 1024, 1 << 30);
//   for (;;) {
//     FrameBuffer::Next f = in.Next();
//     if (f.kind == FrameBuffer::kNeedMore) {
//       size_t n = co_await read(in.WritableSpace());  // named first (net/task.h's rules)
//       in.Commit(n);
//       continue;
//     }
//     ... use f.header, f.body ...
//     in.Consume(f);
//   }
#ifndef UXCOM_XCOM_INTERNAL_FRAME_BUFFER_H_
#define UXCOM_XCOM_INTERNAL_FRAME_BUFFER_H_

#include <cstddef>
#include <span>

#include "xcom/internal/mapped_bytes.h"
#include "xdr/frame_header.h"

namespace uxcom::xcom::internal {

class FrameBuffer {
 public:
  FrameBuffer(size_t initial_capacity, size_t max_body);

  enum Kind {
    kNeedMore,  // receive more bytes
    kFrame,     // `header` and, for normal frames, `body` (valid until Consume)
    kTooLarge,  // `header` announces a body above max_body: close the connection
  };
  struct Next {
    Kind kind = kNeedMore;
    bool has_header = false;  // `header` is valid (always, unless kNeedMore with < 12 bytes)
    xdr::FrameHeader header;
    std::span<const std::byte> body;
    size_t size = 0;  // bytes the frame occupies in the stream
  };

  // A buffer grown up to this size stays grown while large frames keep coming (counted as
  // held, TransportOptions::max_partial_frame_bytes, like a partial frame).
  static constexpr size_t kRetainedCapacity = 1 << 20;

  Next Peek();
  // Drops the frame Peek() returned.
  void Consume(const Next& frame);

  // Where to receive: never empty. May grow the buffer, to NextCapacity().
  std::span<std::byte> WritableSpace();
  // The capacity WritableSpace() leaves the buffer with (capacity() unless it must grow), so
  // that the growth can be granted, or refused, before any memory is mapped for it.
  size_t NextCapacity() const;
  void Commit(size_t n) { tail_ += n; }

  // Bytes of an incomplete frame are buffered.
  bool mid_frame() const { return tail_ > head_; }
  size_t buffered() const { return tail_ - head_; }
  size_t capacity() const { return capacity_; }
  // Whether HandOver can take `frame` (from Peek) with the memory it is in: a normal frame
  // larger than the initial capacity (the buffer grew for it), at the front of the buffer, the
  // bytes received after it fitting the initial capacity, and the buffer at most twice the
  // frame's size (a small frame must not keep a buffer grown for a much larger one).
  bool CanHandOver(const Next& frame) const {
    return frame.kind == kFrame && !frame.body.empty() && head_ == 0 &&
           frame.size > initial_capacity_ && tail_ - frame.size <= initial_capacity_ &&
           capacity_ <= 2 * frame.size;
  }
  // Consumes `frame` (CanHandOver) by handing the memory it was received in to the caller, so
  // that its body is used where it is, not copied out: `frame.body` stays valid in the returned
  // memory. The buffer goes on in `next` (whole pages, at least the initial capacity, so that
  // the bytes received after the frame fit; used up to the present capacity at most: a hand-over
  // never grows what a connection holds), those bytes moved there.
  MappedBytes HandOver(const Next& frame, MappedBytes next);
  size_t initial_capacity() const { return initial_capacity_; }

  // Frees the memory; the buffer must not be used again (its connection has ended).
  void Release() {
    data_.Reset();
    capacity_ = head_ = tail_ = wanted_ = 0;
  }

 private:
  size_t FrameSize(const xdr::FrameHeader& h) const;
  void Reallocate(size_t capacity);

  size_t initial_capacity_;
  size_t max_body_;
  MappedBytes data_;  // resized in place or moved by the kernel, never copied by us
  size_t capacity_ = 0;
  size_t head_ = 0;
  size_t tail_ = 0;
  size_t wanted_ = 0;  // size of the incomplete frame at head_, once its header is known
};

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_FRAME_BUFFER_H_
