// The io_uring backend's connected socket: the receive and send state machines of one stream.
//
// Receive: a multishot recv into the ring's provided buffers stays armed across reads (a stream
// pays for arming its poll once, not per read); received buffers queue in order until the reader
// consumes them. A stream holding ExecutorOptions::recv_buffers_per_stream unread buffers stops
// its multishot recv until its reader catches up; with no buffer to spare (or no multishot recv
// on this kernel) it receives with one plain recv, straight into the reader's buffer when it has
// one. Send: at most one send in flight, the rest queued in order; a write is first tried as a
// non-blocking sendmsg (detail/send_now.h) when the socket is probably writable.
//
// Created by UringRing::NewStream; see detail/backend.h for the StreamCore contract.
#ifndef UXCOM_NET_DETAIL_URING_STREAM_H_
#define UXCOM_NET_DETAIL_URING_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "net/detail/backend.h"
#include "net/detail/intrusive_list.h"
#include "net/detail/ring_queue.h"
#include "net/detail/uring_ring.h"

namespace uxcom::net::detail {

class UringStream final : public StreamCore {
 public:
  UringStream(UringRing* ring, int fd);
  bool StartRead(ReadOp* op) override;
  size_t VisitChunk(absl::FunctionRef<size_t(std::span<const std::byte>)> visitor) override;
  bool StartWrite(WriteOp* op) override;
  bool StartConnect(ConnectOp* op) override;
  void Cancel(IoOp* op) override;
  void Close() override;
  void Release() override;
  bool closed() const override { return closed_; }
  size_t buffered() const override;

 private:
  enum class RecvState { kIdle, kMultishot, kOneShot, kCancelling };
  struct Chunk {
    uint16_t bid;
    uint32_t length;
    uint32_t offset;
  };

  static void OnMultishot(Completion* c, int32_t res, uint32_t flags);
  static void OnOneShot(Completion* c, int32_t res, uint32_t flags);
  static void OnSend(Completion* c, int32_t res, uint32_t flags);
  static void OnConnect(Completion* c, int32_t res, uint32_t flags);

  bool HasData() const { return fallback_head_ < fallback_tail_ || !chunks_.empty(); }
  // A copy read received straight into its buffer (direct mode, ExecutorOptions::direct_read_min).
  bool WantsDirect(const ReadOp* op) const { return op->mode == ReadMode::kCopy && direct_; }
  // Direct mode is entered by a copy read of direct_read_min bytes or more and left by a chunk
  // read or by kSmallReadsToLeaveDirect smaller copy reads in a row. Sticky, because a reader
  // whose free space varies (a frame buffer filling up) would otherwise cancel and re-arm the
  // multishot recv every few reads, which costs more than the copy it saves.
  static constexpr uint8_t kSmallReadsToLeaveDirect = 4;
  void ChooseReadPath(const ReadOp* op) {
    const uint32_t min = ring_->direct_read_min();
    if (op->mode != ReadMode::kCopy || min == 0) {
      direct_ = false;
    } else if (op->dst.size() >= min) {
      direct_ = true;
      small_reads_ = 0;
    } else if (direct_ && ++small_reads_ >= kSmallReadsToLeaveDirect) {
      direct_ = false;
    }
  }
  size_t HeadLength() const;
  size_t CopyOut(std::span<std::byte> dst);
  bool TryRecvNow(ReadOp* op);
  void ArmReceive();
  void DeliverToReader();
  void FinishReader(int64_t result);
  void SubmitSend(bool poll_first);
  bool TrySendNow(WriteOp* op);
  void FailWriters(int64_t result);
  void ReturnChunks();
  // Closes the fd and frees this object when nothing is left in the kernel. Must be the last
  // call of any entry point: `this` may be gone afterwards.
  void MaybeFinalize();

  UringRing* ring_;
  int kernel_ops_ = 0;
  bool closed_ = false;
  bool released_ = false;

  // Receive side.
  RecvState recv_state_ = RecvState::kIdle;
  bool oneshot_into_reader_ = false;
  bool bundle_armed_ = false;     // the multishot recv in flight was armed with BUNDLE
  bool multishot_armed_ = false;  // a multishot recv was armed before (re-arms are counted)
  bool maybe_readable_ = false;   // the last receive left data in the socket
  bool direct_ = false;           // direct mode (ChooseReadPath)
  uint8_t small_reads_ = 0;       // smaller copy reads in a row, in direct mode
  RingQueue<Chunk> chunks_;       // no allocation per received buffer
  std::unique_ptr<std::byte[]> fallback_;  // one-shot chunk reads when the ring is empty
  size_t fallback_head_ = 0;
  size_t fallback_tail_ = 0;
  bool eof_ = false;
  int recv_error_ = 0;
  OwnedCompletion<UringStream> multishot_c_;
  OwnedCompletion<UringStream> oneshot_c_;

  // Send side: at most one send in flight, the head of StreamCore::writers_.
  bool send_in_flight_ = false;
  int send_error_ = 0;
  msghdr send_msg_{};
  OwnedCompletion<UringStream> send_c_;

  OwnedCompletion<UringStream> connect_c_;
};

}  // namespace uxcom::net::detail

#endif  // UXCOM_NET_DETAIL_URING_STREAM_H_
