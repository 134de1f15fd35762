#include "net/listener.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "net/detail/errno_status.h"
#include "net/socket.h"

namespace uxcom::net {

namespace {

absl::StatusOr<Socket> BindAndListen(const SocketAddress& address, const ListenOptions& options,
                                     bool dual_stack) {
  absl::StatusOr<Socket> s = Socket::CreateTcp(address.family());
  if (!s.ok()) return s.status();
  if (options.reuse_address) {
    if (absl::Status st = s->SetReuseAddress(true); !st.ok()) return st;
  }
  if (address.is_ipv6()) {
    int v6only = dual_stack ? 0 : 1;
    if (::setsockopt(s->fd(), IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) != 0) {
      return detail::ErrnoStatus(errno, "setsockopt(IPV6_V6ONLY)");
    }
  }
  if (::bind(s->fd(), address.data(), address.size()) != 0) {
    return detail::ErrnoStatus(errno, absl::StrCat("bind ", address.ToString()));
  }
  if (::listen(s->fd(), options.backlog) != 0) {
    return detail::ErrnoStatus(errno, absl::StrCat("listen ", address.ToString()));
  }
  return s;
}

}  // namespace

absl::StatusOr<Listener> Listener::Listen(Executor& executor, const ListenOptions& options) {
  if (options.backlog < 1 || options.backlog > kMaxBacklog) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen backlog must be in [1, ", kMaxBacklog, "], got ", options.backlog));
  }
  absl::StatusOr<Socket> socket;
  if (options.address.has_value()) {
    SocketAddress a = *options.address;
    if (options.port != 0) a.set_port(options.port);
    socket = BindAndListen(a, options, /*dual_stack=*/false);
  } else {
    socket = BindAndListen(SocketAddress::Any6(options.port), options, /*dual_stack=*/true);
    if (!socket.ok() && !absl::IsFailedPrecondition(socket.status())) {
      socket = BindAndListen(SocketAddress::Any4(options.port), options, false);
    }
  }
  if (!socket.ok()) return socket.status();
  absl::StatusOr<SocketAddress> local = socket->LocalAddress();
  if (!local.ok()) return local.status();
  detail::ListenerCore* core =
      detail::ExecutorAccess::BackendOf(executor).NewListener(socket->Release());
  return Listener(executor, core, *local);
}

Listener::Listener(Listener&& other) noexcept
    : executor_(other.executor_),
      core_(std::exchange(other.core_, nullptr)),
      local_(other.local_),
      closed_(other.closed_) {}

Listener& Listener::operator=(Listener&& other) noexcept {
  if (this != &other) {
    if (core_ != nullptr) core_->Release();
    executor_ = other.executor_;
    core_ = std::exchange(other.core_, nullptr);
    local_ = other.local_;
    closed_ = other.closed_;
  }
  return *this;
}

Listener::~Listener() {
  if (core_ != nullptr) core_->Release();
}

void Listener::Close() {
  closed_ = true;
  if (core_ != nullptr) core_->Close();
}

bool Listener::AcceptAwaiter::Start(TaskContext* context, std::coroutine_handle<> handle) {
  if (listener_->core_ == nullptr || listener_->closed_) {
    error_ = absl::FailedPreconditionError(
        absl::StrCat("accept on ", listener_->local_.ToString(), ": listener closed"));
    return false;
  }
  if (context->executor != listener_->executor_) {
    error_ = absl::FailedPreconditionError("accept: listener belongs to another executor");
    return false;
  }
  if (!op_.Arm(context, handle)) {
    op_.result = -ECANCELED;
    return false;
  }
  if (listener_->core_->StartAccept(&op_)) {
    op_.cancel_hook.Unlink();
    return false;
  }
  return true;
}

absl::StatusOr<Listener::Accepted> Listener::AcceptAwaiter::await_resume() {
  if (!error_.ok()) return error_;
  std::string what =
      absl::StrCat("accept fd ", listener_->fd(), " on ", listener_->local_.ToString());
  if (op_.result == -ECANCELED) return absl::CancelledError(absl::StrCat(what, " cancelled"));
  if (op_.result == -EBUSY) {
    return absl::FailedPreconditionError(absl::StrCat(what, ": another accept is pending"));
  }
  if (op_.result < 0) return detail::ErrnoStatus(static_cast<int>(-op_.result), what);
  Socket socket(static_cast<int>(op_.result));
  absl::StatusOr<SocketAddress> peer = socket.PeerAddress();
  if (!peer.ok()) return peer.status();  // e.g. reset before we looked: socket is closed
  if (absl::Status s = socket.SetNoDelay(true); !s.ok()) return s;
  Executor& ex = *listener_->executor_;
  detail::StreamCore* core = detail::ExecutorAccess::BackendOf(ex).NewStream(socket.Release());
  return Accepted{Stream(ex, core, *peer), *peer};
}

}  // namespace uxcom::net
