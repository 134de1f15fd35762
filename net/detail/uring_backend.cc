#include "net/detail/uring_backend.h"

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "net/detail/errno_status.h"
#include "net/detail/ring_queue.h"
#include "net/detail/send_now.h"
#include "net/detail/uring_compat.h"
#include "net/executor.h"
#include "net/metrics.h"

#if defined(__SANITIZE_THREAD__)
#define UXCOM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UXCOM_TSAN 1
#endif
#endif
#ifdef UXCOM_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace uxcom::net::detail {
namespace {

constexpr int kBufferGroup = 0;
// Provided buffers offered to the kernel at first (16 KiB each by default: 1 MiB).
constexpr uint32_t kInitialRingWindow = 64;

// ThreadSanitizer and the ring memory. liburing 2.3 is a "nolibc" build: it maps and unmaps the
// SQ/CQ rings and the SQE array with raw syscalls (it imports no mmap/munmap), which TSan's
// interceptors never see. The shadow state of a destroyed ring's pages therefore survives its
// munmap, and a ring that another thread maps later at the same address appears to race with the
// dead one (core_test's "executors on separate threads" test: two ArmWake() calls of two
// executors writing the same SQE address, io_uring mapping offset 0x10000000 = IORING_OFF_SQES).
// The kernel orders an munmap before any mmap that reuses its range (mmap_lock), so that order is
// modelled exactly: every ring teardown releases, and every ring setup acquires, one sync object.
// No-ops without TSan.
[[maybe_unused]] char ring_mapping_order;
inline void RingMapped() {
#ifdef UXCOM_TSAN
  __tsan_acquire(&ring_mapping_order);
#endif
}
inline void RingUnmapping() {
#ifdef UXCOM_TSAN
  __tsan_release(&ring_mapping_order);
#endif
}

// What an SQE's user_data points at. 0 marks SQEs whose CQE is ignored (cancel requests).
struct Completion {
  using Fn = void (*)(Completion*, int32_t res, uint32_t flags);
  Fn fn = nullptr;
};

template <typename Owner>
struct OwnedCompletion : Completion {
  Owner* owner = nullptr;
};

class UringBackend;

class UringStream final : public StreamCore {
 public:
  UringStream(UringBackend* backend, int fd);
  bool StartRead(ReadOp* op) override;
  size_t VisitChunk(absl::FunctionRef<size_t(std::span<const std::byte>)> visitor) override;
  bool StartWrite(WriteOp* op) override;
  bool StartConnect(ConnectOp* op) override;
  void Cancel(IoOp* op) override;
  void Detach(IoOp* op) override;
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

  UringBackend* backend_;
  int kernel_ops_ = 0;
  bool closed_ = false;
  bool released_ = false;

  // Receive side.
  RecvState recv_state_ = RecvState::kIdle;
  bool oneshot_into_reader_ = false;
  bool bundle_armed_ = false;    // the multishot recv in flight was armed with BUNDLE
  bool maybe_readable_ = false;  // the last receive left data in the socket
  ReadOp* reader_ = nullptr;
  RingQueue<Chunk> chunks_;                // no allocation per received buffer
  std::unique_ptr<std::byte[]> fallback_;  // one-shot chunk reads when the ring is empty
  size_t fallback_head_ = 0;
  size_t fallback_tail_ = 0;
  bool eof_ = false;
  int recv_error_ = 0;
  OwnedCompletion<UringStream> multishot_c_;
  OwnedCompletion<UringStream> oneshot_c_;

  // Send side: at most one send in flight; the rest wait in order.
  IntrusiveList<WriteOp> writers_;
  bool send_in_flight_ = false;
  int send_error_ = 0;
  msghdr send_msg_{};
  OwnedCompletion<UringStream> send_c_;

  ConnectOp* connecting_ = nullptr;
  OwnedCompletion<UringStream> connect_c_;
};

class UringListener final : public ListenerCore {
 public:
  UringListener(UringBackend* backend, int fd);
  bool StartAccept(AcceptOp* op) override;
  void Cancel(IoOp* op) override;
  void Detach(IoOp* op) override;
  void Close() override;
  void Release() override;

 private:
  static void OnAccept(Completion* c, int32_t res, uint32_t flags);
  void Arm();
  void MaybeFinalize();

  UringBackend* backend_;
  int kernel_ops_ = 0;
  bool armed_ = false;
  bool multishot_ = false;
  bool cancelling_ = false;
  bool closed_ = false;
  bool released_ = false;
  AcceptOp* acceptor_ = nullptr;
  std::deque<int> ready_;  // accepted fds (or -errno) nobody asked for yet
  OwnedCompletion<UringListener> accept_c_;
};

class UringBackend final : public Backend {
 public:
  UringBackend(const ExecutorOptions& options, ExecutorMetrics* metrics)
      : options_(options), metrics_(metrics) {}
  ~UringBackend() override;

  absl::Status Init();
  std::string Describe() const override;
  void Poll(std::chrono::nanoseconds timeout) override;
  void Wake() override;
  StreamCore* NewStream(int fd) override { return new UringStream(this, fd); }
  ListenerCore* NewListener(int fd) override { return new UringListener(this, fd); }
  void AbortAll() override;

  io_uring_sqe* Sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    while (sqe == nullptr) {  // SQ full: flush it early
      EnableIfNeeded();
      unsigned n = io_uring_sq_ready(&ring_);
      io_uring_submit(&ring_);
      metrics_->RecordEnter(n);
      sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
  }
  void Track(io_uring_sqe* sqe, Completion* c) {
    io_uring_sqe_set_data(sqe, c);
    ++in_flight_;
  }
  void CancelRequest(Completion* c) {
    io_uring_sqe* sqe = Sqe();
    io_uring_prep_cancel64(sqe, reinterpret_cast<uint64_t>(c), 0);
    io_uring_sqe_set_data64(sqe, 0);
  }

  bool aborting() const { return aborting_; }
  bool multishot_recv() const { return buf_ring_ != nullptr && multishot_recv_; }
  void DisableMultishotRecv() { multishot_recv_ = false; }
  bool recv_bundle() const { return recv_bundle_; }
  void DisableRecvBundle() { recv_bundle_ = false; }
  bool multishot_accept() const { return multishot_accept_; }
  void DisableMultishotAccept() { multishot_accept_ = false; }
  // Provided buffers no stream holds: offered to the kernel or waiting to be.
  uint32_t free_buffers() const { return ring_count_ + static_cast<uint32_t>(free_stack_.size()); }
  uint32_t buffer_size() const { return options_.recv_buffer_size; }
  uint32_t buffers_per_stream() const { return options_.recv_buffers_per_stream; }
  bool speculative_send() const { return options_.speculative_send; }
  std::byte* BufferAddress(uint16_t bid) const {
    return buffers_ + static_cast<size_t>(bid) * options_.recv_buffer_size;
  }
  // A multishot recv completion of `bytes` (> 0) starting in buffer `first`: calls
  // `each(bid, length)` for every buffer it filled, in order. A bundle fills consecutive ring
  // entries, each one whole except the last.
  template <typename Fn>
  void TakeBuffers(uint16_t first, uint32_t bytes, bool bundle, Fn each) {
    if (!bundle) {
      --ring_count_;
      each(first, bytes);
      return;
    }
    uint32_t size = options_.recv_buffer_size;
    uint32_t n = (bytes + size - 1) / size;
    uint32_t slot = bid_slot_[first];
    for (uint32_t i = 0; i < n; ++i) {
      each(slot_bid_[(slot + i) & ring_mask_], std::min(size, bytes - i * size));
    }
    ring_count_ -= n;
  }
  // The buffer's data has been consumed: it goes back on top of the free stack.
  void Recycle(uint16_t bid) { free_stack_.push_back(bid); }
  // The ring ran dry (ENOBUFS): offer more buffers from now on.
  void GrowWindow() {
    ring_window_ = std::min<uint32_t>(ring_window_ * 2, options_.recv_buffer_count);
  }
  ExecutorMetrics* metrics() const { return metrics_; }

 private:
  friend absl::StatusOr<std::unique_ptr<Backend>> CreateUringBackend(const ExecutorOptions&,
                                                                     ExecutorMetrics*);
  static void OnWake(Completion* c, int32_t res, uint32_t flags);
  void ArmWake();
  void RefillRing();
  void EnableIfNeeded() {
    if (ring_disabled_) {
      EnableRings(&ring_);
      ring_disabled_ = false;
    }
  }
  void Reap();

  ExecutorOptions options_;
  ExecutorMetrics* metrics_;
  io_uring ring_{};
  bool ring_ready_ = false;
  bool ring_disabled_ = false;
  unsigned setup_flags_ = 0;
  std::string flags_name_;
  bool ext_arg_ = false;
  bool multishot_recv_ = true;
  bool recv_bundle_ = false;
  bool multishot_accept_ = true;
  io_uring_buf_ring* buf_ring_ = nullptr;
  std::byte* buffers_ = nullptr;
  size_t buffers_bytes_ = 0;
  // Provided-buffer pool. The kernel takes ring entries in FIFO order, so a ring holding the
  // whole pool (8 MiB by default) would pass data through every buffer in turn and each
  // receive would write memory long evicted from the cache. Instead, free buffers wait on a LIFO
  // stack and, once per loop turn, the ring is topped up from its top (the most recently used)
  // to ring_window_ entries; the window doubles whenever the ring runs dry (ENOBUFS).
  std::vector<uint16_t> free_stack_;
  uint32_t ring_count_ = 0;   // buffers offered to the kernel and not yet reaped
  uint32_t ring_window_ = 0;  // how many to offer
  uint16_t ring_tail_ = 0;    // the ring's tail, as advanced by us
  uint16_t ring_mask_ = 0;
  std::vector<uint16_t> slot_bid_;  // ring entry -> buffer id (to walk bundles)
  std::vector<uint16_t> bid_slot_;  // buffer id -> the ring entry it was last put in
  int wake_fd_ = -1;
  uint64_t wake_value_ = 0;
  OwnedCompletion<UringBackend> wake_c_;
  std::atomic<bool> wake_pending_{false};
  bool wake_armed_ = false;
  int64_t in_flight_ = 0;
  bool aborting_ = false;
  bool foreign_thread_ = false;
  uint64_t overflow_seen_ = 0;
};

// --- UringBackend ----------------------------------------------------------------------------

UringBackend::~UringBackend() {
  if (ring_ready_) {
    if (buf_ring_ != nullptr)
      FreeBufRing(&ring_, buf_ring_, options_.recv_buffer_count, kBufferGroup);
    RingUnmapping();
    io_uring_queue_exit(&ring_);
  }
  if (buffers_ != nullptr) munmap(buffers_, buffers_bytes_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

absl::Status UringBackend::Init() {
  struct Attempt {
    unsigned flags;
    const char* name;
    uint32_t feature;
  };
  const Attempt attempts[] = {
      {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_R_DISABLED,
       "SINGLE_ISSUER|DEFER_TASKRUN", kUringDeferTaskrun},
      {IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG, "COOP_TASKRUN|TASKRUN_FLAG",
       kUringCoopTaskrun},
      {0, "no setup flags", 0},
  };
  int rc = -EINVAL;
  for (const Attempt& a : attempts) {
    if (a.feature != 0 && (options_.disabled_uring_features & a.feature)) continue;
    for (unsigned extra : {IORING_SETUP_SUBMIT_ALL, 0u}) {
      io_uring_params p;
      std::memset(&p, 0, sizeof p);
      p.flags = a.flags | extra | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
      p.cq_entries = options_.sq_entries * options_.cq_multiplier;
      rc = io_uring_queue_init_params(options_.sq_entries, &ring_, &p);
      if (rc == 0) {
        RingMapped();
        setup_flags_ = p.flags;
        flags_name_ = a.name;
        ext_arg_ = (p.features & IORING_FEAT_EXT_ARG) &&
                   !(options_.disabled_uring_features & kUringExtArg);
        recv_bundle_ = (p.features & IORING_FEAT_RECVSEND_BUNDLE) &&
                       !(options_.disabled_uring_features & kUringRecvBundle);
        if (!(p.features & IORING_FEAT_NODROP) || !(p.features & IORING_FEAT_FAST_POLL)) {
          RingUnmapping();
          io_uring_queue_exit(&ring_);
          return absl::UnavailableError(
              "io_uring lacks IORING_FEAT_NODROP/FAST_POLL (kernel older than 5.7)");
        }
        break;
      }
      if (rc != -EINVAL) break;
    }
    if (rc == 0 || rc != -EINVAL) break;
  }
  if (rc != 0) {
    absl::Status s = ErrnoStatus(-rc, "io_uring_setup");
    return absl::UnavailableError(s.message());
  }
  ring_ready_ = true;
  ring_disabled_ = (setup_flags_ & IORING_SETUP_R_DISABLED) != 0;

  io_uring_probe* probe = io_uring_get_probe_ring(&ring_);
  if (probe == nullptr) return absl::UnavailableError("io_uring opcode probe failed");
  struct Needed {
    int op;
    const char* name;
  };
  const Needed needed[] = {{IORING_OP_RECV, "RECV"},       {IORING_OP_SEND, "SEND"},
                           {IORING_OP_SENDMSG, "SENDMSG"}, {IORING_OP_ACCEPT, "ACCEPT"},
                           {IORING_OP_CONNECT, "CONNECT"}, {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"},
                           {IORING_OP_READ, "READ"}};
  for (const Needed& n : needed) {
    if (!io_uring_opcode_supported(probe, n.op)) {
      io_uring_free_probe(probe);
      return absl::UnavailableError(absl::StrCat("io_uring lacks IORING_OP_", n.name));
    }
  }
  io_uring_free_probe(probe);

  if (options_.disabled_uring_features & kUringMultishotAccept) multishot_accept_ = false;
  if (!(options_.disabled_uring_features & kUringMultishotRecv)) {
    int err = 0;
    buf_ring_ = SetupBufRing(&ring_, options_.recv_buffer_count, kBufferGroup, &err);
    if (buf_ring_ == nullptr && err != -EINVAL) {
      return ErrnoStatus(-err, "io_uring_register_buf_ring");
    }
    if (buf_ring_ != nullptr) {
      buffers_bytes_ = static_cast<size_t>(options_.recv_buffer_count) * options_.recv_buffer_size;
      void* mem =
          mmap(nullptr, buffers_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
      if (mem == MAP_FAILED) return ErrnoStatus(errno, "mmap(recv buffers)");
      buffers_ = static_cast<std::byte*>(mem);
      uint32_t count = options_.recv_buffer_count;
      ring_mask_ = static_cast<uint16_t>(io_uring_buf_ring_mask(count));
      slot_bid_.assign(count, 0);
      bid_slot_.assign(count, 0);
      free_stack_.reserve(count);
      for (uint32_t bid = count; bid-- > 0;) free_stack_.push_back(static_cast<uint16_t>(bid));
      ring_window_ = std::min<uint32_t>(count, kInitialRingWindow);
    }
  }
  if (buf_ring_ == nullptr) {
    multishot_recv_ = false;
    recv_bundle_ = false;
  }

  wake_fd_ = eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) return ErrnoStatus(errno, "eventfd");
  wake_c_.fn = &OnWake;
  wake_c_.owner = this;
  return absl::OkStatus();
}

std::string UringBackend::Describe() const {
  std::string out = absl::StrCat("io_uring (", flags_name_);
  if (multishot_recv()) {
    absl::StrAppend(&out, ", multishot recv", recv_bundle_ ? " bundles" : "", " into ",
                    options_.recv_buffer_count, "x", options_.recv_buffer_size,
                    " B provided buffers");
  } else {
    absl::StrAppend(&out, ", one-shot recv");
  }
  absl::StrAppend(&out, multishot_accept_ ? ", multishot accept" : ", one-shot accept");
  if (!ext_arg_) absl::StrAppend(&out, ", timeout SQEs");
  return out + ")";
}

void UringBackend::ArmWake() {
  if (wake_armed_ || aborting_) return;
  io_uring_sqe* sqe = Sqe();
  io_uring_prep_read(sqe, wake_fd_, &wake_value_, sizeof wake_value_, 0);
  Track(sqe, &wake_c_);
  wake_armed_ = true;
}

void UringBackend::RefillRing() {
  if (buf_ring_ == nullptr || ring_count_ >= ring_window_ || free_stack_.empty()) return;
  int added = 0;
  while (ring_count_ < ring_window_ && !free_stack_.empty()) {
    uint16_t bid = free_stack_.back();
    free_stack_.pop_back();
    auto slot = static_cast<uint16_t>((ring_tail_ + added) & ring_mask_);
    io_uring_buf_ring_add(buf_ring_, BufferAddress(bid), options_.recv_buffer_size, bid, ring_mask_,
                          added);
    slot_bid_[slot] = bid;
    bid_slot_[bid] = slot;
    ++added;
    ++ring_count_;
  }
  io_uring_buf_ring_advance(buf_ring_, added);  // one release store for the whole batch
  ring_tail_ = static_cast<uint16_t>(ring_tail_ + added);
}

void UringBackend::OnWake(Completion* c, int32_t, uint32_t) {
  UringBackend* self = static_cast<OwnedCompletion<UringBackend>*>(c)->owner;
  self->wake_armed_ = false;
  self->wake_pending_.store(false, std::memory_order_release);
  self->ArmWake();
}

void UringBackend::Wake() {
  if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
  uint64_t one = 1;
  ssize_t rc = ::write(wake_fd_, &one, sizeof one);
  (void)rc;
}

void UringBackend::Reap() {
  io_uring_cqe* batch[256];
  for (;;) {
    unsigned n = io_uring_peek_batch_cqe(&ring_, batch, 256);
    if (n == 0) break;
    // Copy out and release the CQ slots first: handlers may submit, even wait.
    struct Item {
      uint64_t data;
      int32_t res;
      uint32_t flags;
    } items[256];
    for (unsigned i = 0; i < n; ++i)
      items[i] = {batch[i]->user_data, batch[i]->res, batch[i]->flags};
    io_uring_cq_advance(&ring_, n);
    ExecutorMetrics::Add(metrics_->completions, n);
    for (unsigned i = 0; i < n; ++i) {
      if (items[i].data == 0 || items[i].data == LIBURING_UDATA_TIMEOUT) continue;
      if (!(items[i].flags & IORING_CQE_F_MORE)) --in_flight_;
      auto* c = reinterpret_cast<Completion*>(items[i].data);
      c->fn(c, items[i].res, items[i].flags);
    }
    if (n < 256) break;
  }
}

void UringBackend::Poll(std::chrono::nanoseconds timeout) {
  EnableIfNeeded();
  ArmWake();
  RefillRing();
  unsigned to_submit = io_uring_sq_ready(&ring_);
  bool defer = setup_flags_ & IORING_SETUP_DEFER_TASKRUN;
  bool taskrun = IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_TASKRUN;
  int rc = 0;
  if (timeout.count() == 0) {
    if (to_submit > 0 || defer || taskrun) {
      rc = io_uring_submit_and_get_events(&ring_);
      metrics_->RecordEnter(to_submit);
    }
  } else if (timeout.count() < 0) {
    rc = io_uring_submit_and_wait(&ring_, 1);
    metrics_->RecordEnter(to_submit);
  } else {
    __kernel_timespec ts;
    ts.tv_sec = timeout.count() / 1000000000;
    ts.tv_nsec = timeout.count() % 1000000000;
    io_uring_cqe* cqe = nullptr;
    rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    metrics_->RecordEnter(to_submit);
  }
  if (rc == -EEXIST) {
    // SINGLE_ISSUER: only the thread that first ran this executor may enter the ring.
    foreign_thread_ = true;
    return;
  }
  Reap();
  if (io_uring_cq_has_overflow(&ring_)) {
    // CQEs the kernel could not post wait on its overflow list (FEAT_NODROP): flush them.
    io_uring_get_events(&ring_);
    Reap();
  }
  uint64_t overflow = IO_URING_READ_ONCE(*ring_.cq.koverflow);
  if (overflow != overflow_seen_) {
    ExecutorMetrics::Add(metrics_->cq_overflows, overflow - overflow_seen_);
    overflow_seen_ = overflow;
  }
}

void UringBackend::AbortAll() {
  aborting_ = true;
  if (in_flight_ > 0) {
    io_uring_sqe* sqe = Sqe();
    io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
    io_uring_sqe_set_data64(sqe, 0);
  }
  // Every request completes once cancelled; the kernel owns its buffers until then.
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (in_flight_ > 0 && !foreign_thread_ && std::chrono::steady_clock::now() < give_up) {
    Poll(std::chrono::milliseconds(10));
    if (in_flight_ > 0) {
      io_uring_sqe* sqe = Sqe();
      io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
      io_uring_sqe_set_data64(sqe, 0);
    }
  }
}

// --- UringStream -----------------------------------------------------------------------------

UringStream::UringStream(UringBackend* backend, int fd) : backend_(backend) {
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
    std::memcpy(dst.data() + n, backend_->BufferAddress(c.bid) + c.offset, k);
    c.offset += static_cast<uint32_t>(k);
    n += k;
    if (c.offset == c.length) {
      backend_->Recycle(c.bid);
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
  size_t used =
      std::min(available, visitor({backend_->BufferAddress(c.bid) + c.offset, available}));
  c.offset += static_cast<uint32_t>(used);
  if (c.offset == c.length) {
    backend_->Recycle(c.bid);
    chunks_.pop_front();
  }
  return used;
}

bool UringStream::StartRead(ReadOp* op) {
  if (reader_ != nullptr) {
    op->result = -EBUSY;
    return true;
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
      backend_->speculative_send() && TryRecvNow(op)) {
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
    ExecutorMetrics::Add(backend_->metrics()->syscalls, 1);
    if (n > 0) {
      ExecutorMetrics::Add(backend_->metrics()->bytes_received, static_cast<uint64_t>(n));
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
  if (recv_state_ != RecvState::kIdle || closed_ || backend_->aborting()) return;
  // The multishot recv stays armed across reads, so a stream pays for arming its poll once, not
  // per read (measured: a one-shot recv per ReadSome costs ~1 µs more CPU per read than copying a
  // small message out of a provided buffer).
  uint32_t want_free = std::min<uint32_t>(4, backend_->buffers_per_stream());
  if (backend_->multishot_recv() && backend_->free_buffers() >= want_free) {
    io_uring_sqe* sqe = backend_->Sqe();
    io_uring_prep_recv_multishot(sqe, fd_, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = kBufferGroup;
    bundle_armed_ = backend_->recv_bundle();
    if (bundle_armed_) sqe->ioprio |= IORING_RECVSEND_BUNDLE;
    backend_->Track(sqe, &multishot_c_);
    recv_state_ = RecvState::kMultishot;
    ++kernel_ops_;
    return;
  }
  // No provided buffers to spare (or no multishot recv on this kernel): one plain recv, straight
  // into the reader's own buffer when it has one. Progress never depends on other readers.
  std::byte* dst;
  size_t len;
  if (reader_ != nullptr && reader_->mode == ReadMode::kCopy) {
    dst = reader_->dst.data();
    len = reader_->dst.size();
    oneshot_into_reader_ = true;
  } else {
    if (fallback_ == nullptr) fallback_ = std::make_unique<std::byte[]>(backend_->buffer_size());
    dst = fallback_.get();
    len = backend_->buffer_size();
    oneshot_into_reader_ = false;
  }
  io_uring_sqe* sqe = backend_->Sqe();
  io_uring_prep_recv(sqe, fd_, dst, len, 0);
  backend_->Track(sqe, &oneshot_c_);
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
  UringBackend* b = self->backend_;
  if (res > 0 && (flags & IORING_CQE_F_BUFFER)) {
    auto first = static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
    ExecutorMetrics::Add(b->metrics()->bytes_received, static_cast<uint64_t>(res));
    self->maybe_readable_ = flags & IORING_CQE_F_SOCK_NONEMPTY;
    b->TakeBuffers(first, static_cast<uint32_t>(res), self->bundle_armed_,
                   [&](uint16_t bid, uint32_t length) {
                     if (self->closed_) {
                       b->Recycle(bid);
                     } else {
                       self->chunks_.push_back(Chunk{bid, length, 0});
                     }
                   });
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
      b->GrowWindow();
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
    ExecutorMetrics::Add(self->backend_->metrics()->bytes_received, static_cast<uint64_t>(res));
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
  return SendNow(fd_, op, *backend_->metrics());
}

bool UringStream::StartWrite(WriteOp* op) {
  if (send_error_ != 0) {
    op->result = send_error_;
    return true;
  }
  bool idle = writers_.empty() && !send_in_flight_;
  if (idle && backend_->speculative_send() && TrySendNow(op)) return true;
  writers_.push_back(op);
  op->target = this;
  op->pending = true;
  // After a speculative EAGAIN the socket is full: skip the kernel's first attempt.
  if (!send_in_flight_) SubmitSend(/*poll_first=*/idle && backend_->speculative_send());
  return false;
}

void UringStream::SubmitSend(bool poll_first) {
  WriteOp* op = writers_.front();
  if (op == nullptr || send_in_flight_ || closed_ || backend_->aborting()) return;
  io_uring_sqe* sqe = backend_->Sqe();
  if (op->iov_count == 1) {
    io_uring_prep_send(sqe, fd_, op->iov[0].iov_base, op->iov[0].iov_len, MSG_NOSIGNAL);
  } else {
    send_msg_ = {};
    send_msg_.msg_iov = op->iov;
    send_msg_.msg_iovlen = static_cast<size_t>(std::min(op->iov_count, 1024));
    io_uring_prep_sendmsg(sqe, fd_, &send_msg_, MSG_NOSIGNAL);
  }
  if (poll_first) sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
  backend_->Track(sqe, &send_c_);
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
      ExecutorMetrics::Add(self->backend_->metrics()->bytes_sent, static_cast<uint64_t>(res));
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
  io_uring_sqe* sqe = backend_->Sqe();
  io_uring_prep_connect(sqe, fd_, reinterpret_cast<const sockaddr*>(&op->address),
                        op->address_length);
  backend_->Track(sqe, &connect_c_);
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
      backend_->CancelRequest(&oneshot_c_);  // finishes when the kernel lets go of the buffer
    } else {
      FinishReader(-ECANCELED);  // received data stays queued for the next read
    }
  } else if (op == connecting_) {
    backend_->CancelRequest(&connect_c_);
  } else {
    auto* w = static_cast<WriteOp*>(op);
    if (w == writers_.front() && send_in_flight_) {
      backend_->CancelRequest(&send_c_);
    } else {
      static_cast<ListNode*>(w)->Unlink();
      w->Finish(-ECANCELED);
    }
  }
}

void UringStream::Detach(IoOp* op) {
  if (op == reader_) {
    reader_ = nullptr;
  } else if (op == connecting_) {
    connecting_ = nullptr;
  } else {
    static_cast<ListNode*>(static_cast<WriteOp*>(op))->Unlink();
  }
  op->pending = false;
}

void UringStream::ReturnChunks() {
  while (!chunks_.empty()) {
    backend_->Recycle(chunks_.front().bid);
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
  if (recv_state_ == RecvState::kMultishot) backend_->CancelRequest(&multishot_c_);
  if (recv_state_ == RecvState::kOneShot) backend_->CancelRequest(&oneshot_c_);
  if (connecting_ != nullptr) backend_->CancelRequest(&connect_c_);
  if (send_in_flight_) {
    writers_.front()->cancel_requested = true;
    backend_->CancelRequest(&send_c_);
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

// --- UringListener ---------------------------------------------------------------------------

UringListener::UringListener(UringBackend* backend, int fd) : backend_(backend) {
  fd_ = fd;
  accept_c_.fn = &OnAccept;
  accept_c_.owner = this;
}

void UringListener::Arm() {
  if (armed_ || closed_ || backend_->aborting()) return;
  io_uring_sqe* sqe = backend_->Sqe();
  multishot_ = backend_->multishot_accept();
  if (multishot_) {
    io_uring_prep_multishot_accept(sqe, fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  } else {
    io_uring_prep_accept(sqe, fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  }
  backend_->Track(sqe, &accept_c_);
  armed_ = true;
  ++kernel_ops_;
}

bool UringListener::StartAccept(AcceptOp* op) {
  if (acceptor_ != nullptr) {
    op->result = -EBUSY;
    return true;
  }
  if (!ready_.empty()) {
    op->result = ready_.front();
    ready_.pop_front();
    return true;
  }
  acceptor_ = op;
  op->target = this;
  op->pending = true;
  Arm();
  return false;
}

void UringListener::OnAccept(Completion* c, int32_t res, uint32_t flags) {
  UringListener* self = static_cast<OwnedCompletion<UringListener>*>(c)->owner;
  if (!(flags & IORING_CQE_F_MORE)) {
    --self->kernel_ops_;
    self->armed_ = false;
    self->cancelling_ = false;
  }
  if (res == -EINVAL && self->multishot_) {
    self->backend_->DisableMultishotAccept();  // kernel < 5.19
    if (self->acceptor_ != nullptr) self->Arm();
  } else if (res == -ECANCELED) {
    if (self->acceptor_ != nullptr && !self->closed_) self->Arm();
  } else if (self->closed_) {
    if (res >= 0) ::close(res);
  } else if (self->acceptor_ != nullptr) {
    std::exchange(self->acceptor_, nullptr)->Finish(res);
  } else {
    self->ready_.push_back(res);
    // Nobody is accepting: stop, and let the backlog (not this queue) hold new connections.
    if ((flags & IORING_CQE_F_MORE) && !self->cancelling_ && self->ready_.size() >= 16) {
      self->backend_->CancelRequest(&self->accept_c_);
      self->cancelling_ = true;
    }
  }
  self->MaybeFinalize();
}

void UringListener::Cancel(IoOp* op) {
  if (op == acceptor_) acceptor_ = nullptr;
  op->Finish(-ECANCELED);  // an fd accepted later is queued for the next Accept()
}

void UringListener::Detach(IoOp* op) {
  if (op == acceptor_) acceptor_ = nullptr;
  op->pending = false;
}

void UringListener::Close() {
  if (closed_) return;
  closed_ = true;
  if (acceptor_ != nullptr) std::exchange(acceptor_, nullptr)->Finish(-ECANCELED);
  if (armed_) backend_->CancelRequest(&accept_c_);
  for (int fd : ready_) {
    if (fd >= 0) ::close(fd);
  }
  ready_.clear();
  MaybeFinalize();
}

void UringListener::Release() {
  released_ = true;
  if (closed_) {
    MaybeFinalize();
  } else {
    Close();
  }
}

void UringListener::MaybeFinalize() {
  if (!closed_ || kernel_ops_ > 0) return;
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (released_) delete this;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Backend>> CreateUringBackend(const ExecutorOptions& options,
                                                            ExecutorMetrics* metrics) {
  auto backend = std::make_unique<UringBackend>(options, metrics);
  if (absl::Status s = backend->Init(); !s.ok()) return s;
  return std::unique_ptr<Backend>(std::move(backend));
}

}  // namespace uxcom::net::detail
