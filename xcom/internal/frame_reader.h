// FrameReader: the receiving side of one connection, frame by frame.
//
// It owns the connection's FrameBuffer and does the reading: Fill() reads once, refreshes the
// `detected` time of the peer's server, and turns every way a read can end into the
// connection's close reason (kPeerClosed, kTruncatedFrame, kFrameTooLarge, kReadStalled,
// kFrameTooSlow, kInboundIdle, kPartialFramesOverBudget, kIoError). Its time limits:
//   - in the middle of a frame, each read within read_stall_timeout, and the whole frame
//     within read_stall_timeout + size / min_frame_rate of its first byte: a peer trickling
//     a byte now and then cannot hold a buffer for as long as it likes;
//   - between frames, none, unless inbound_idle_timeout is set (inbound connections only).
// Every growth of the buffer is granted by the transport's max_partial_frame_bytes budget before
// it happens (TransportState::ReserveHeld: past the budget the open connections holding the most
// are closed; while closed connections' buffers are still mapped, the growth waits). A
// complete frame is handed out without suspending, so a burst of small frames costs one read, not
// one coroutine per frame:
//
//   FrameReader in(st, conn);
//   for (;;) {
//     std::optional<FrameBuffer::Next> f = in.Next();
//     if (!f) {
//       const bool more = co_await in.Fill();
//       if (!more) co_return;            // the connection has ended, with its reason
//       continue;
//     }
//     ... f->header, f->body ...
//     in.Consume(*f);
//   }
//
// A FrameReader is a view: the bytes live in the connection (Connection::received()), so
// negotiation and the reader after it each make their own, and bytes that followed a version
// frame in the same read are there for the next step.
#ifndef UXCOM_XCOM_INTERNAL_FRAME_READER_H_
#define UXCOM_XCOM_INTERNAL_FRAME_READER_H_

#include <optional>

#include "net/task.h"
#include "xcom/internal/connection.h"
#include "xcom/internal/frame_buffer.h"

namespace uxcom::xcom::internal {

struct TransportState;

class FrameReader {
 public:
  FrameReader(TransportState& state, Connection& conn);

  // The next complete frame if one is buffered. A header announcing a body above
  // max_frame_body closes the connection (kFrameTooLarge) and yields nothing.
  std::optional<FrameBuffer::Next> Next();
  // The header of the frame being received, as soon as its 12 bytes are in (or nullopt).
  std::optional<xdr::FrameHeader> PendingHeader();
  void Consume(const FrameBuffer::Next& frame);
  // Consumes `frame` by taking over the memory it was received in, when it is worth it
  // (FrameBuffer::CanHandOver: a frame larger than the read buffer); the buffer goes on in
  // memory from this thread's MappedShelf, or a new mapping of read_buffer_size. Empty when
  // the frame stays (then Consume it after use).
  MappedBytes TakeOver(const FrameBuffer::Next& frame);
  // Handed back to the executor every max_messages_per_turn frames (fairness): true when the
  // caller should Yield() now.
  bool TakeTurn() {
    if (++burst_ < max_burst_) return false;
    burst_ = 0;
    return true;
  }
  // True once every kBytesPerTurn bytes read (then the caller should Yield()): a large frame
  // whose bytes keep arriving would otherwise be read in one executor turn.
  bool ReadATurnsWorth() {
    if (read_since_turn_ < kBytesPerTurn) return false;
    read_since_turn_ = 0;
    return true;
  }
  // Reads once. False when the connection has ended (closed with its reason) or the reading
  // task was cancelled.
  net::Task<bool> Fill();

 private:
  TransportState& st_;
  Connection& conn_;
  FrameBuffer& in_;
  // The limit of the next read in the middle of a frame, and what passing it means.
  struct Limit {
    net::Duration limit;
    CloseReason reason;
  };
  Limit MidFrameLimit(net::TimePoint now);

  static constexpr size_t kBytesPerTurn = 1 << 20;
  int burst_ = 0;
  const int max_burst_;
  size_t read_since_turn_ = 0;
  // When the first byte of the incomplete frame was seen waiting (min_frame_rate's origin).
  std::optional<net::TimePoint> frame_started_;
};

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_FRAME_READER_H_
