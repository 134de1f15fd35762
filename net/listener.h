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
// Errors: Listen: kInvalidArgument (backlog outside [1, 4096]), kFailedPrecondition (address
// in use), kPermissionDenied. Accept: kCancelled, kResourceExhausted (EMFILE/ENFILE: out of
// fds; the listener stays usable), kFailedPrecondition (closed, or another Accept pending).
//
//   absl::StatusOr<Listener> l = Listener::Listen(ex, {.port = 33061});
//   absl::StatusOr<Listener::Accepted> a = co_await l->Accept();
//   if (!allowed(a->stream.fd(), a->peer)) continue;    // closes the connection
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

  class UXCOM_AWAITABLE AcceptAwaiter {
   public:
    explicit AcceptAwaiter(Listener* listener) : listener_(listener) {}
    bool await_ready() const noexcept { return false; }
    template <typename P>
    bool await_suspend(std::coroutine_handle<P> handle) {
      return Start(handle.promise().context, handle);
    }
    absl::StatusOr<Accepted> await_resume();

   private:
    bool Start(TaskContext* context, std::coroutine_handle<> handle);
    Listener* listener_;
    detail::AcceptOp op_;
    absl::Status error_;
  };
  AcceptAwaiter Accept() { return AcceptAwaiter(this); }

  const SocketAddress& local_address() const { return local_; }
  int fd() const { return core_ != nullptr ? core_->fd() : -1; }
  // Stops listening; a pending Accept() finishes with kCancelled. Idempotent.
  void Close();

 private:
  Listener(Executor& executor, detail::ListenerCore* core, SocketAddress local)
      : executor_(&executor), core_(core), local_(local) {}
  Executor* executor_ = nullptr;
  detail::ListenerCore* core_ = nullptr;
  SocketAddress local_;
  bool closed_ = false;
};

}  // namespace uxcom::net

#endif  // UXCOM_NET_LISTENER_H_
