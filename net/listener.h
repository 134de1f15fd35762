// Listener: a listening TCP socket and its accept loop primitive.
//
// Listen() binds like XCom's announce_tcp: by default a dual-stack IPv6 wildcard socket
// ([::]:port, IPV6_V6ONLY off, SO_REUSEADDR), falling back to 0.0.0.0:port when IPv6 is not
// available. Accept() yields each new connection as a Stream (TCP_NODELAY set, non-blocking)
// together with its peer address, before any byte is read or written, so an allowlist can
// inspect and reject it first (just drop the Stream). Under io_uring the listener uses a
// multishot accept; if nobody is accepting, at most 16 connections are taken off the backlog
// before the listener pauses.
//
// One connection's failure is never Accept()'s error. A connection that fails between the
// kernel's handshake and Accept() (reset by its peer before it was accepted, so getpeername
// says ENOTCONN; ECONNABORTED; a network error pending on it; EPERM from a filter) is closed
// and counted (Counters::connections_lost) and the next one is accepted at once. So every
// error Accept() returns concerns the listener or the process, and a caller may back off after
// one without letting a trickle of resets fill the backlog.
//
// Out of descriptors (EMFILE/ENFILE), a connection cannot be accepted and would stay in the
// backlog until it overflows, and every later peer's connect would then time out in SYN
// retransmissions. So the listener holds one reserved descriptor: when an accept fails for
// lack of descriptors it frees the reserve, accepts every queued connection into that slot and
// resets each at once (RST, counted as Counters::shed), and reserves again. Peers see their
// connection refused at once and redial; the first connection after descriptors return is
// served, with no polling in between (each shedding is triggered by a new connection). The
// reserve costs one descriptor per listener; when another thread takes the freed slot first,
// Accept() reports kResourceExhausted and the caller should back off. (io_uring reads
// RLIMIT_NOFILE when it arms an accept: a limit lowered later applies to the multishot accept
// from its next re-arm on.)
//
// Errors: Listen: kInvalidArgument (backlog outside [1, 4096]), kFailedPrecondition (address
// in use), kPermissionDenied. Accept (each about the listener, never one connection):
// kCancelled; kFailedPrecondition (closed, or another Accept pending); kResourceExhausted
// (ENOMEM/ENOBUFS, or out of descriptors with no reserve to shed with; the listener stays
// usable: back off and accept again); kPermissionDenied (EACCES, or EPERM kMaxRefusalsInARow
// times in a row: a policy refuses every accept); kInvalidArgument / kInternal (the listening
// socket itself is broken).
//
//   absl::StatusOr<Listener> l = Listener::Listen(ex, {.port = 33061});
//   for (;;) {
//     absl::StatusOr<Listener::Accepted> a = co_await l->Accept();
//     if (!a.ok()) {                                    // the listener's own trouble
//       absl::Status slept = co_await Sleep(std::chrono::milliseconds(100));
//       if (!slept.ok()) break;
//       continue;
//     }
//     if (!allowed(a->stream.fd(), a->peer)) continue;  // closes the connection
//     scope.Spawn(Serve(std::move(a->stream)));
//   }
#ifndef UXCOM_NET_LISTENER_H_
#define UXCOM_NET_LISTENER_H_

#include <coroutine>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/address.h"
#include "net/detail/backend.h"
#include "net/executor.h"
#include "net/stream.h"
#include "net/task.h"

namespace uxcom::net {

struct ListenOptions {
  uint16_t port = 0;  // 0: an ephemeral port (see Listener::local_address())
  // Bind to this address instead of the dual-stack wildcard.
  std::optional<SocketAddress> address;
  int backlog = 32;  // XCom's listen backlog; [1, 4096]
  bool reuse_address = true;
};

class Listener {
 public:
  static constexpr int kMaxBacklog = 4096;

  static absl::StatusOr<Listener> Listen(Executor& executor, const ListenOptions& options);

  Listener() = default;
  Listener(Listener&& other) noexcept;
  Listener& operator=(Listener&& other) noexcept;
  ~Listener();

  struct Accepted {
    Stream stream;
    SocketAddress peer;
  };

  // What this listener did; the executor's metrics() add up every listener's.
  struct Counters {
    uint64_t accepted = 0;          // connections handed to Accept()'s caller
    uint64_t connections_lost = 0;  // failed before they could be handed over; each cost itself
    uint64_t shed = 0;              // accepted and reset at once: out of descriptors
    uint64_t errors = 0;            // errors Accept() returned (not kCancelled, not closed)
  };

  // The next connection; see the top of this file for what its errors mean.
  Task<absl::StatusOr<Accepted>> Accept();

  const Counters& counters() const { return counters_; }
  // Whether a descriptor is reserved for shedding connections (see the top of this file).
  bool has_reserve() const { return reserve_fd_ >= 0; }

  const SocketAddress& local_address() const { return local_; }
  int fd() const { return core_ != nullptr ? core_->fd() : -1; }
  // Stops listening; a pending Accept() finishes with kCancelled. Idempotent.
  void Close();

 private:
  // One accept by the backend: the new fd, or -errno.
  class UXCOM_AWAITABLE RawAccept {
   public:
    explicit RawAccept(Listener* listener) : listener_(listener) {}
    bool await_ready() const noexcept { return false; }
    template <typename P>
    bool await_suspend(std::coroutine_handle<P> handle) {
      return Start(handle.promise().context, handle);
    }
    int64_t await_resume() const { return op_.result; }

   private:
    bool Start(TaskContext* context, std::coroutine_handle<> handle);
    Listener* listener_;
    detail::AcceptOp op_;
  };

  Listener(Executor& executor, detail::ListenerCore* core, SocketAddress local)
      : executor_(&executor), core_(core), local_(local) {}
  // Turns an accepted fd into a connection; nullopt (and the fd closed) if the connection is
  // already gone.
  std::optional<Accepted> Admit(int fd);
  // Out of descriptors: resets every queued connection through the reserve's slot. False when
  // there is no reserve, or the slot was taken before the backlog was empty.
  bool Shed();
  void CountLost();
  absl::Status Failed(absl::Status status);
  std::string Describe() const;

  Executor* executor_ = nullptr;
  detail::ListenerCore* core_ = nullptr;
  SocketAddress local_;
  bool closed_ = false;
  int reserve_fd_ = -1;
  Counters counters_;
};

}  // namespace uxcom::net

#endif  // UXCOM_NET_LISTENER_H_
