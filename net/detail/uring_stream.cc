#include "net/detail/uring_stream.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "net/detail/send_now.h"
#include "net/detail/uring_compat.h"
#include "net/metrics.h"

namespace uxcom::net::detail {

UringStream::UringStream(UringRing* ring, int fd) : ring_(ring) {
  fd_ = fd;
  multishot_c_.fn = &OnMultishot;
  multishot_c_.owner = this;
  oneshot_c_.fn = &OnOneShot;
  oneshot_c_.owner = this;
  send_c_.fn = &OnSend;
  send_c_.owner = this;
  connect_c_.fn = &OnConnect;
  connect_c_.owner = this;
}

size_t UringStream::HeadLength() const {
  if (fallback_head_ < fallback_tail_) return fallback_tail_ - fallback_head_;
  if (!chunks_.empty()) return chunks_.front().length - chunks_.front().offset;
  return 0;
}

size_t UringStream::buffered() const {
  size_t n = fallback_tail_ - fallback_head_;
  for (size_t i = 0; i < chunks_.size(); ++i) n += chunks_.at(i).length - chunks_.at(i).offset;
  return n;
}

size_t UringStream::CopyOut(std::span<std::byte> dst) {
  size_t n = 0;
  while (n < dst.size()) {
    if (fallback_head_ < fallback_tail_) {
      size_t k = std::min(dst.size() - n, fallback_tail_ - fallback_head_);
      std::memcpy(dst.data() + n, fallback_.get() + fallback_head_, k);
      fallback_head_ += k;
      n += k;
      continue;
    }
    if (chunks_.empty()) break;
    Chunk& c = chunks_.front();
    size_t k = std::min<size_t>(dst.size() - n, c.length - c.offset);
    std::memcpy(dst.data() + n, ring_->pool().Address(c.bid) + c.offset, k);
    c.offset += static_cast<uint32_t>(k);
    n += k;
    if (c.offset == c.length) {
      ring_->pool().Recycle(c.bid);
      chunks_.pop_front();
    }
  }
  return n;
}

size_t UringStream::VisitChunk(absl::FunctionRef<size_t(std::span<const std::byte>)> visitor) {
  if (fallback_head_ < fallback_tail_) {
    size_t available = fallback_tail_ - fallback_head_;
    size_t used = std::min(available, visitor({fallback_.get() + fallback_head_, available}));
    fallback_head_ += used;
    return used;
  }
  if (chunks_.empty()) return 0;
  Chunk& c = chunks_.front();
  size_t available = c.length - c.offset;
  size_t used = std::min(available, visitor({ring_->pool().Address(c.bid) + c.offset, available}));
  c.offset += static_cast<uint32_t>(used);
  if (c.offset == c.length) {
    ring_->pool().Recycle(c.bid);
    chunks_.pop_front();
  }
  return used;
}

bool UringStream::StartRead(ReadOp* op) {
  if (reader_ != nullptr) {
    op->result = -EBUSY;
    return true;
  }
  ChooseReadPath(op);
  if (recv_state_ == RecvState::kMultishot && WantsDirect(op)) {
    // Direct mode ends the multishot recv: what it still takes before the cancel lands is
    // read from the ring as usual, and then reads go straight into the reader's buffer
    // (ArmReceive) until the stream leaves direct mode and a read arms the ring again.
    ring_->CancelRequest(&multishot_c_);
    recv_state_ = RecvState::kCancelling;
  }
  if (HasData()) {
    op->result = op->mode == ReadMode::kCopy ? static_cast<int64_t>(CopyOut(op->dst))
                                             : static_cast<int64_t>(HeadLength());
    return true;
  }
  if (recv_error_ != 0) {
    op->result = recv_error_;
    return true;
  }
  if (eof_) {
    op->result = 0;
    return true;
  }
  // Speculation: the last receive left data in the socket, and no receive is in the kernel
  // (which could hold earlier bytes): a plain recv gets it now, with no ring round trip.
  if (op->mode == ReadMode::kCopy && maybe_readable_ && recv_state_ == RecvState::kIdle &&
      ring_->speculative_send() && TryRecvNow(op)) {
    return true;
  }
  reader_ = op;
  op->target = this;
  op->pending = true;
  ArmReceive();
  return false;
}

bool UringStream::TryRecvNow(ReadOp* op) {
  for (;;) {
    ssize_t n = ::recv(fd_, op->dst.data(), op->dst.size(), MSG_DONTWAIT);
    ExecutorMetrics::Add(ring_->metrics()->syscalls, 1);
    if (n > 0) {
      ExecutorMetrics::Add(ring_->metrics()->bytes_received, static_cast<uint64_t>(n));
      if (WantsDirect(op)) ExecutorMetrics::Add(ring_->metrics()->direct_reads, 1);
      maybe_readable_ = static_cast<size_t>(n) == op->dst.size();
      op->result = n;
      return true;
    }
    if (n == 0) {
      eof_ = true;
      op->result = 0;
      return true;
    }
    if (errno == EINTR) continue;
    maybe_readable_ = false;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
    recv_error_ = -errno;
    op->result = recv_error_;
    return true;
  }
}

void UringStream::ArmReceive() {
  if (recv_state_ != RecvState::kIdle || closed_ || ring_->aborting()) return;
  // The multishot recv stays armed across reads, so a stream pays for arming its poll once, not
  // per read (measured: a one-shot recv per ReadSome costs ~1 µs more CPU per read than copying a
  // small message out of a provided buffer).
  uint32_t want_free = std::min<uint32_t>(4, ring_->buffers_per_stream());
  const bool direct = reader_ != nullptr && WantsDirect(reader_);
  if (!direct && ring_->multishot_recv() && ring_->pool().free_buffers() >= want_free) {
    io_uring_sqe* sqe = ring_->Sqe();
    io_uring_prep_recv_multishot(sqe, fd_, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = ProvidedBufferPool::kGroup;
    bundle_armed_ = ring_->recv_bundle();
    if (bundle_armed_) sqe->ioprio |= IORING_RECVSEND_BUNDLE;
    ring_->Track(sqe, &multishot_c_);
    if (multishot_armed_) ExecutorMetrics::Add(ring_->metrics()->multishot_rearms, 1);
    multishot_armed_ = true;
    recv_state_ = RecvState::kMultishot;
    ++kernel_ops_;
    return;
  }
  // A large read, no provided buffers to spare, or no multishot recv on this kernel: one plain
  // recv, straight into the reader's own buffer when it has one. Progress never depends on
  // other readers.
  std::byte* dst;
  size_t len;
  if (reader_ != nullptr && reader_->mode == ReadMode::kCopy) {
    dst = reader_->dst.data();
    len = reader_->dst.size();
    oneshot_into_reader_ = true;
    if (direct) ExecutorMetrics::Add(ring_->metrics()->direct_reads, 1);
  } else {
    if (fallback_ == nullptr) fallback_ = std::make_unique<std::byte[]>(ring_->recv_buffer_size());
    dst = fallback_.get();
    len = ring_->recv_buffer_size();
    oneshot_into_reader_ = false;
  }
  io_uring_sqe* sqe = ring_->Sqe();
  io_uring_prep_recv(sqe, fd_, dst, len, 0);
  ring_->Track(sqe, &oneshot_c_);
  recv_state_ = RecvState::kOneShot;
  ++kernel_ops_;
}

void UringStream::FinishReader(int64_t result) {
  ReadOp* op = std::exchange(reader_, nullptr);
  op->Finish(result);
}

void UringStream::DeliverToReader() {
  if (reader_->mode == ReadMode::kCopy) {
    FinishReader(static_cast<int64_t>(CopyOut(reader_->dst)));
  } else {
    FinishReader(static_cast<int64_t>(HeadLength()));
  }
}

void UringStream::OnMultishot(Completion* c, int32_t res, uint32_t flags) {
  UringStream* self = static_cast<OwnedCompletion<UringStream>*>(c)->owner;
  bool more = flags & IORING_CQE_F_MORE;
  if (!more) {
    --self->kernel_ops_;
    self->recv_state_ = RecvState::kIdle;
  }
  UringRing* b = self->ring_;
  if (res > 0 && (flags & IORING_CQE_F_BUFFER)) {
    auto first = static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
    ExecutorMetrics::Add(b->metrics()->bytes_received, static_cast<uint64_t>(res));
    self->maybe_readable_ = flags & IORING_CQE_F_SOCK_NONEMPTY;
    // Room for every buffer of the pool, which bounds what one stream can hold (its multishot
    // receive is cancelled at buffers_per_stream, but completions already reaped still land):
    // made at the first data (12 bytes a buffer), so the queue never grows in steady state.
    self->chunks_.Reserve(b->pool().buffer_count());
    uint32_t filled = b->pool().Take(first, static_cast<uint32_t>(res), self->bundle_armed_,
                                     [&](uint16_t bid, uint32_t length) {
                                       if (self->closed_) {
                                         b->pool().Recycle(bid);
                                       } else {
                                         self->chunks_.push_back(Chunk{bid, length, 0});
                                       }
                                     });
    if (filled > 1) ExecutorMetrics::Add(b->metrics()->recv_bundles, 1);
    if (!self->closed_) {
      if (self->reader_ != nullptr) self->DeliverToReader();
      if (more && self->recv_state_ == RecvState::kMultishot &&
          self->chunks_.size() >= b->buffers_per_stream()) {
        // This reader is behind: stop taking shared buffers until it catches up. The data
        // waits in the socket (TCP flow control), nothing is lost.
        b->CancelRequest(&self->multishot_c_);
        self->recv_state_ = RecvState::kCancelling;
      }
    }
  } else if (res == 0) {
    self->eof_ = true;
    if (self->reader_ != nullptr) self->FinishReader(0);
  } else if (res == -ENOBUFS || res == -ECANCELED) {
    if (res == -ENOBUFS) {
      ExecutorMetrics::Add(b->metrics()->enobufs, 1);
      b->pool().GrowWindow();
    }
    if (self->reader_ != nullptr) self->ArmReceive();
  } else if (res == -EINVAL && self->bundle_armed_) {
    b->DisableRecvBundle();  // kernel without multishot bundles: plain multishot recv
    if (self->reader_ != nullptr) self->ArmReceive();
  } else if (res == -EINVAL) {
    b->DisableMultishotRecv();  // kernel < 6.0: fall back to one-shot recv for good
    if (self->reader_ != nullptr) self->ArmReceive();
  } else if (res < 0) {
    self->recv_error_ = res;
    if (self->reader_ != nullptr) self->FinishReader(res);
  }
  self->MaybeFinalize();
}

void UringStream::OnOneShot(Completion* c, int32_t res, uint32_t flags) {
  UringStream* self = static_cast<OwnedCompletion<UringStream>*>(c)->owner;
  --self->kernel_ops_;
  self->recv_state_ = RecvState::kIdle;
  bool into_reader = std::exchange(self->oneshot_into_reader_, false);
  self->maybe_readable_ = res > 0 && (flags & IORING_CQE_F_SOCK_NONEMPTY);
  if (res > 0) {
    ExecutorMetrics::Add(self->ring_->metrics()->bytes_received, static_cast<uint64_t>(res));
    if (into_reader) {
      if (self->reader_ != nullptr) self->FinishReader(res);
    } else {
      self->fallback_head_ = 0;
      self->fallback_tail_ = static_cast<size_t>(res);
      if (self->reader_ != nullptr) self->DeliverToReader();
    }
  } else if (res == 0) {
    self->eof_ = true;
    if (self->reader_ != nullptr) self->FinishReader(0);
  } else if (res == -ECANCELED) {
    if (self->reader_ != nullptr) {
      if (self->reader_->cancel_requested || self->closed_) {
        self->FinishReader(-ECANCELED);
      } else {
        self->ArmReceive();
      }
    }
  } else {
    self->recv_error_ = res;
    if (self->reader_ != nullptr) self->FinishReader(res);
  }
  self->MaybeFinalize();
}

bool UringStream::TrySendNow(WriteOp* op) {
  // Speculation: the socket is probably writable, so a plain non-blocking sendmsg usually
  // finishes the write with no ring round trip at all.
  return SendNow(fd_, op, *ring_->metrics());
}

bool UringStream::StartWrite(WriteOp* op) {
  if (send_error_ != 0) {
    op->result = send_error_;
    return true;
  }
  bool idle = writers_.empty() && !send_in_flight_;
  if (idle && ring_->speculative_send() && TrySendNow(op)) return true;
  writers_.push_back(op);
  op->target = this;
  op->pending = true;
  // After a speculative EAGAIN the socket is full: skip the kernel's first attempt.
  if (!send_in_flight_) SubmitSend(/*poll_first=*/idle && ring_->speculative_send());
  return false;
}

void UringStream::SubmitSend(bool poll_first) {
  WriteOp* op = writers_.front();
  if (op == nullptr || send_in_flight_ || closed_ || ring_->aborting()) return;
  io_uring_sqe* sqe = ring_->Sqe();
  if (op->iov_count == 1) {
    io_uring_prep_send(sqe, fd_, op->iov[0].iov_base, op->iov[0].iov_len, MSG_NOSIGNAL);
  } else {
    send_msg_ = {};
    send_msg_.msg_iov = op->iov;
    send_msg_.msg_iovlen = static_cast<size_t>(std::min(op->iov_count, 1024));
    io_uring_prep_sendmsg(sqe, fd_, &send_msg_, MSG_NOSIGNAL);
  }
  if (poll_first) sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
  ring_->Track(sqe, &send_c_);
  send_in_flight_ = true;
  ++kernel_ops_;
}

void UringStream::FailWriters(int64_t result) {
  while (WriteOp* op = writers_.pop_front()) op->Finish(result);
}

void UringStream::OnSend(Completion* c, int32_t res, uint32_t) {
  UringStream* self = static_cast<OwnedCompletion<UringStream>*>(c)->owner;
  --self->kernel_ops_;
  self->send_in_flight_ = false;
  WriteOp* op = self->writers_.front();
  if (op != nullptr) {
    if (res > 0) {
      ExecutorMetrics::Add(self->ring_->metrics()->bytes_sent, static_cast<uint64_t>(res));
      op->Advance(static_cast<size_t>(res));
    }
    if (op->iov_count == 0) {
      static_cast<ListNode*>(op)->Unlink();
      op->Finish(static_cast<int64_t>(op->written));
    } else if (res < 0 && res != -ECANCELED && res != -EINTR && res != -EAGAIN) {
      // The connection is broken: this write and everything queued behind it fail.
      self->send_error_ = res;
      self->FailWriters(res);
    } else if (op->cancel_requested || self->closed_ || res == -ECANCELED) {
      static_cast<ListNode*>(op)->Unlink();
      op->Finish(-ECANCELED);
    } else {
      self->SubmitSend(/*poll_first=*/res >= 0);  // short write: the rest, once writable
    }
  }
  if (!self->send_in_flight_ && !self->closed_) self->SubmitSend(false);
  self->MaybeFinalize();
}

bool UringStream::StartConnect(ConnectOp* op) {
  io_uring_sqe* sqe = ring_->Sqe();
  io_uring_prep_connect(sqe, fd_, reinterpret_cast<const sockaddr*>(&op->address),
                        op->address_length);
  ring_->Track(sqe, &connect_c_);
  ++kernel_ops_;
  connecting_ = op;
  op->target = this;
  op->pending = true;
  return false;
}

void UringStream::OnConnect(Completion* c, int32_t res, uint32_t) {
  UringStream* self = static_cast<OwnedCompletion<UringStream>*>(c)->owner;
  --self->kernel_ops_;
  if (ConnectOp* op = std::exchange(self->connecting_, nullptr)) op->Finish(res);
  self->MaybeFinalize();
}

void UringStream::Cancel(IoOp* op) {
  if (op == reader_) {
    if (recv_state_ == RecvState::kOneShot && oneshot_into_reader_) {
      ring_->CancelRequest(&oneshot_c_);  // finishes when the kernel lets go of the buffer
    } else {
      FinishReader(-ECANCELED);  // received data stays queued for the next read
    }
  } else if (op == connecting_) {
    ring_->CancelRequest(&connect_c_);
  } else {
    auto* w = static_cast<WriteOp*>(op);
    if (w == writers_.front() && send_in_flight_) {
      ring_->CancelRequest(&send_c_);
    } else {
      static_cast<ListNode*>(w)->Unlink();
      w->Finish(-ECANCELED);
    }
  }
}

void UringStream::ReturnChunks() {
  while (!chunks_.empty()) {
    ring_->pool().Recycle(chunks_.front().bid);
    chunks_.pop_front();
  }
  fallback_head_ = fallback_tail_ = 0;
}

void UringStream::Close() {
  if (closed_) return;
  closed_ = true;
  if (reader_ != nullptr) {
    if (recv_state_ == RecvState::kOneShot && oneshot_into_reader_) {
      reader_->cancel_requested = true;
    } else {
      FinishReader(-ECANCELED);
    }
  }
  if (recv_state_ == RecvState::kMultishot) ring_->CancelRequest(&multishot_c_);
  if (recv_state_ == RecvState::kOneShot) ring_->CancelRequest(&oneshot_c_);
  if (connecting_ != nullptr) ring_->CancelRequest(&connect_c_);
  if (send_in_flight_) {
    writers_.front()->cancel_requested = true;
    ring_->CancelRequest(&send_c_);
    // Queued writes behind the in-flight one will never start.
    WriteOp* head = writers_.pop_front();
    FailWriters(-ECANCELED);
    writers_.push_back(head);
  } else {
    FailWriters(-ECANCELED);
  }
  ReturnChunks();
  MaybeFinalize();
}

void UringStream::Release() {
  released_ = true;
  if (closed_) {
    MaybeFinalize();
  } else {
    Close();
  }
}

void UringStream::MaybeFinalize() {
  if (!closed_ || kernel_ops_ > 0) return;
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  ReturnChunks();
  if (released_) delete this;
}

}  // namespace uxcom::net::detail
