// The io_uring backend's ring: one per executor. It sets the ring up (trying the best setup
// flags first and probing every syscall and opcode uxcom needs, so that a refusal surfaces in
// Executor::Create while epoll can still take over), submits SQEs, and dispatches every CQE to
// the Completion its user_data points at, with one io_uring_enter per loop turn.
//
// The per-socket state machines live apart: uring_stream.h (connected sockets), uring_listener.h
// (listening sockets); the provided buffers multishot recv fills: uring_buffer_pool.h.
//
//   UringRing* ring = ...;
//   io_uring_sqe* sqe = ring->Sqe();
//   io_uring_prep_recv(sqe, fd, buf, len, 0);
//   ring->Track(sqe, &completion);   // completion.fn(&completion, res, flags) on its CQE
#ifndef UXCOM_NET_DETAIL_URING_RING_H_
#define UXCOM_NET_DETAIL_URING_RING_H_

#include <liburing.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "net/detail/backend.h"
#include "net/detail/uring_buffer_pool.h"
#include "net/executor.h"
#include "net/metrics.h"

namespace uxcom::net::detail {

// What an SQE's user_data points at. 0 marks SQEs whose CQE is ignored (cancel requests).
struct Completion {
  using Fn = void (*)(Completion*, int32_t res, uint32_t flags);
  Fn fn = nullptr;
};

template <typename Owner>
struct OwnedCompletion : Completion {
  Owner* owner = nullptr;
};

class UringRing final : public Backend {
 public:
  UringRing(const ExecutorOptions& options, ExecutorMetrics* metrics);
  ~UringRing() override;

  // Sets the ring up. kUnavailable (saying which syscall, opcode or feature) when io_uring
  // cannot be used here; the executor then falls back to epoll if it may.
  absl::Status Init();

  // --- Backend ------------------------------------------------------------------------------
  std::string Describe() const override;
  void Poll(std::chrono::nanoseconds timeout) override;
  void Wake() override;
  StreamCore* NewStream(int fd) override;
  ListenerCore* NewListener(int fd) override;
  void AbortAll() override;

  // --- for streams and listeners ------------------------------------------------------------
  // A free SQE; flushes the submission queue early when it is full.
  io_uring_sqe* Sqe();
  // `c` receives the CQE(s) of `sqe`.
  void Track(io_uring_sqe* sqe, Completion* c) {
    io_uring_sqe_set_data(sqe, c);
    ++in_flight_;
  }
  // Asks the kernel to cancel the request tracked with `c`; its CQE still arrives.
  void CancelRequest(Completion* c) {
    io_uring_sqe* sqe = Sqe();
    io_uring_prep_cancel64(sqe, reinterpret_cast<uint64_t>(c), 0);
    io_uring_sqe_set_data64(sqe, 0);
  }

  bool aborting() const { return aborting_; }
  bool multishot_recv() const { return pool_.enabled() && multishot_recv_; }
  bool recv_bundle() const { return recv_bundle_; }
  bool multishot_accept() const { return multishot_accept_; }
  // The kernel refused a feature its setup reported (EINVAL on first use): stop using it, and
  // count it (ExecutorMetrics::feature_fallbacks) so that tests notice.
  void DisableMultishotRecv();
  void DisableRecvBundle();
  void DisableMultishotAccept();

  ProvidedBufferPool& pool() { return pool_; }
  // ExecutorOptions::recv_buffer_size: also the size of a stream's one-shot receive buffer.
  uint32_t recv_buffer_size() const { return options_.recv_buffer_size; }
  uint32_t buffers_per_stream() const { return options_.recv_buffers_per_stream; }
  // ExecutorOptions::direct_read_min, 0 = never.
  uint32_t direct_read_min() const { return options_.direct_read_min; }
  bool speculative_send() const { return options_.speculative_send; }
  ExecutorMetrics* metrics() const { return metrics_; }

 private:
  absl::Status Setup();
  absl::Status ProbeSyscalls();
  absl::Status ProbeOpcodes();
  static void OnWake(Completion* c, int32_t res, uint32_t flags);
  void ArmWake();
  void EnableIfNeeded();
  void Reap();
  // The ring can no longer be entered (e.g. a seccomp filter installed after Create): nothing
  // can make progress, so stop the process with the reason rather than spin.
  [[noreturn]] void Fatal(const char* what, int error);

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
  ProvidedBufferPool pool_;
  int wake_fd_ = -1;
  uint64_t wake_value_ = 0;
  OwnedCompletion<UringRing> wake_c_;
  std::atomic<bool> wake_pending_{false};
  bool wake_armed_ = false;
  int64_t in_flight_ = 0;
  bool aborting_ = false;
  bool foreign_thread_ = false;
  uint64_t overflow_seen_ = 0;
};

}  // namespace uxcom::net::detail

#endif  // UXCOM_NET_DETAIL_URING_RING_H_
