#include "net/detail/uring_ring.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "net/detail/errno_status.h"
#include "net/detail/uring_backend.h"
#include "net/detail/uring_compat.h"
#include "net/detail/uring_listener.h"
#include "net/detail/uring_stream.h"

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

// io_uring errors that mean this process may not use the ring (any more): a seccomp filter's
// answer (EPERM, EACCES, ENOSYS) or a ring that is gone.
bool RingRefused(int error) {
  return error == EPERM || error == EACCES || error == ENOSYS || error == EBADF || error == EBADFD;
}

absl::Status Unavailable(int error, const char* what) {
  return absl::UnavailableError(ErrnoStatus(error, what).message());
}

}  // namespace

UringRing::UringRing(const ExecutorOptions& options, ExecutorMetrics* metrics)
    : options_(options), metrics_(metrics) {
  options_.on_backend = nullptr;  // Create()'s business, not the ring's
  wake_c_.fn = &OnWake;
  wake_c_.owner = this;
}

UringRing::~UringRing() {
  if (ring_ready_) {
    pool_.Free(&ring_);
    RingUnmapping();
    io_uring_queue_exit(&ring_);
  }
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

// --- setup and probing -------------------------------------------------------------------------

absl::Status UringRing::Init() {
  if (absl::Status s = Setup(); !s.ok()) return s;
  if (absl::Status s = ProbeSyscalls(); !s.ok()) return s;
  if (absl::Status s = ProbeOpcodes(); !s.ok()) return s;
  if (options_.disabled_uring_features & kUringMultishotAccept) multishot_accept_ = false;
  if (!(options_.disabled_uring_features & kUringMultishotRecv)) {
    absl::Status s = pool_.Init(&ring_, options_.recv_buffer_count, options_.recv_buffer_size);
    // EINVAL: no provided-buffer rings (< 5.19), so one-shot recv; anything else is a failure.
    if (!s.ok() && !absl::IsInvalidArgument(s)) return s;
  }
  if (!pool_.enabled()) {
    multishot_recv_ = false;
    recv_bundle_ = false;
  }
  wake_fd_ = eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) return ErrnoStatus(errno, "eventfd");
  return absl::OkStatus();
}

// io_uring_setup with the best flags this kernel accepts: each attempt that fails with EINVAL
// (flags newer than the kernel) falls back to the next; any other error ends the search.
absl::Status UringRing::Setup() {
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
  io_uring_params p;
  for (const Attempt& a : attempts) {
    if (a.feature != 0 && (options_.disabled_uring_features & a.feature)) continue;
    for (unsigned extra : {IORING_SETUP_SUBMIT_ALL, 0u}) {
      std::memset(&p, 0, sizeof p);
      p.flags = a.flags | extra | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
      p.cq_entries = options_.sq_entries * options_.cq_multiplier;
      rc = io_uring_queue_init_params(options_.sq_entries, &ring_, &p);
      if (rc != -EINVAL) break;
    }
    if (rc == 0) {
      flags_name_ = a.name;
      break;
    }
    if (rc != -EINVAL) break;
  }
  if (rc != 0) return Unavailable(-rc, "io_uring_setup");
  RingMapped();
  ring_ready_ = true;
  setup_flags_ = p.flags;
  ring_disabled_ = (setup_flags_ & IORING_SETUP_R_DISABLED) != 0;
  if (!(p.features & IORING_FEAT_NODROP) || !(p.features & IORING_FEAT_FAST_POLL)) {
    return absl::UnavailableError(
        "io_uring lacks IORING_FEAT_NODROP/FAST_POLL (kernel older than 5.7)");
  }
  ext_arg_ =
      (p.features & IORING_FEAT_EXT_ARG) && !(options_.disabled_uring_features & kUringExtArg);
  // liburing picks its wait method from ring_.features: without EXT_ARG it queues a timeout SQE
  // for every timed wait, which is what a disabled kUringExtArg must exercise.
  if (!ext_arg_) ring_.features &= ~IORING_FEAT_EXT_ARG;
  recv_bundle_ = (p.features & IORING_FEAT_RECVSEND_BUNDLE) &&
                 !(options_.disabled_uring_features & kUringRecvBundle);
  return absl::OkStatus();
}

// A seccomp filter judges each syscall on its own: Docker's profile refuses all three, but a
// filter may let io_uring_setup through and refuse io_uring_enter or io_uring_register. Both
// are tried here, while Create() can still fall back, instead of failing at the first Poll().
absl::Status UringRing::ProbeSyscalls() {
  // Nothing to submit, nothing to wait for: 0, or EBADFD on a ring still disabled (R_DISABLED
  // is enabled by the thread that first runs the executor).
  int rc = io_uring_enter(ring_.ring_fd, 0, 0, 0, nullptr);
  if (rc < 0 && rc != -EBADFD) return Unavailable(-rc, "io_uring_enter");
  return absl::OkStatus();
}

absl::Status UringRing::ProbeOpcodes() {
  constexpr unsigned kOps = 256;
  std::unique_ptr<std::byte[]> memory(
      new std::byte[sizeof(io_uring_probe) + kOps * sizeof(io_uring_probe_op)]());
  auto* probe = reinterpret_cast<io_uring_probe*>(memory.get());
  int rc = io_uring_register_probe(&ring_, probe, kOps);
  if (rc < 0) return Unavailable(-rc, "io_uring_register(IORING_REGISTER_PROBE)");
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
      return absl::UnavailableError(absl::StrCat("io_uring lacks IORING_OP_", n.name));
    }
  }
  return absl::OkStatus();
}

std::string UringRing::Describe() const {
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

void UringRing::DisableMultishotRecv() {
  if (multishot_recv_) ExecutorMetrics::Add(metrics_->feature_fallbacks, 1);
  multishot_recv_ = false;
}

void UringRing::DisableRecvBundle() {
  if (recv_bundle_) ExecutorMetrics::Add(metrics_->feature_fallbacks, 1);
  recv_bundle_ = false;
}

void UringRing::DisableMultishotAccept() {
  if (multishot_accept_) ExecutorMetrics::Add(metrics_->feature_fallbacks, 1);
  multishot_accept_ = false;
}

StreamCore* UringRing::NewStream(int fd) { return new UringStream(this, fd); }
ListenerCore* UringRing::NewListener(int fd) { return new UringListener(this, fd); }

// --- submission and completion -----------------------------------------------------------------

void UringRing::Fatal(const char* what, int error) {
  std::fprintf(stderr, "uxcom/net: io_uring can no longer be used: %s\n",
               std::string(ErrnoStatus(error, what).message()).c_str());
  std::abort();
}

void UringRing::EnableIfNeeded() {
  if (!ring_disabled_) return;
  // The probe in Init() showed io_uring_register works; a failure here means it was taken away.
  if (int rc = EnableRings(&ring_); rc < 0)
    Fatal("io_uring_register(IORING_REGISTER_ENABLE_RINGS)", -rc);
  ring_disabled_ = false;
}

io_uring_sqe* UringRing::Sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  while (sqe == nullptr) {  // SQ full: flush it early
    EnableIfNeeded();
    unsigned n = io_uring_sq_ready(&ring_);
    int rc = io_uring_submit(&ring_);
    if (rc < 0 && RingRefused(-rc)) Fatal("io_uring_enter", -rc);
    metrics_->RecordEnter(n);
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

void UringRing::ArmWake() {
  if (wake_armed_ || aborting_) return;
  io_uring_sqe* sqe = Sqe();
  io_uring_prep_read(sqe, wake_fd_, &wake_value_, sizeof wake_value_, 0);
  Track(sqe, &wake_c_);
  wake_armed_ = true;
}

void UringRing::OnWake(Completion* c, int32_t, uint32_t) {
  UringRing* self = static_cast<OwnedCompletion<UringRing>*>(c)->owner;
  self->wake_armed_ = false;
  self->wake_pending_.store(false, std::memory_order_release);
  self->ArmWake();
}

void UringRing::Wake() {
  if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
  uint64_t one = 1;
  ssize_t rc = ::write(wake_fd_, &one, sizeof one);
  (void)rc;
}

void UringRing::Reap() {
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

void UringRing::Poll(std::chrono::nanoseconds timeout) {
  EnableIfNeeded();
  ArmWake();
  pool_.Refill();
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
  if (rc < 0 && RingRefused(-rc)) Fatal("io_uring_enter", -rc);
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

void UringRing::AbortAll() {
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

absl::StatusOr<std::unique_ptr<Backend>> CreateUringBackend(const ExecutorOptions& options,
                                                            ExecutorMetrics* metrics) {
  auto ring = std::make_unique<UringRing>(options, metrics);
  if (absl::Status s = ring->Init(); !s.ok()) return s;
  return std::unique_ptr<Backend>(std::move(ring));
}

}  // namespace uxcom::net::detail
