#include "net/listener.h"

#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "net/detail/accept_errors.h"
#include "net/detail/errno_status.h"
#include "net/socket.h"
#include "net/timer.h"

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

// The descriptor kept for shedding (see listener.h): any cheap one will do.
int OpenReserve() { return ::eventfd(0, EFD_CLOEXEC); }

// Sentinel result of a RawAccept awaited on another executor than the listener's.
constexpr int64_t kWrongExecutor = -EXDEV;
// After this many connections lost or shed in a row, Accept() lets other tasks run once.
constexpr int kYieldEvery = 64;
// Connections reset per shedding at most, before the executor gets to run other tasks.
constexpr int kMaxShedAtOnce = 1024;

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
  detail::ListenerCore* core = detail::ExecutorAccess::BackendOf(executor).NewListener(socket->Release());
  Listener listener(executor, core, *local);
  listener.reserve_fd_ = OpenReserve();  // without one (out of fds now), retried when needed
  return listener;
}

Listener::Listener(Listener&& other) noexcept
    : executor_(other.executor_),
      core_(std::exchange(other.core_, nullptr)),
      local_(other.local_),
      closed_(other.closed_),
      reserve_fd_(std::exchange(other.reserve_fd_, -1)),
      counters_(other.counters_) {}

Listener& Listener::operator=(Listener&& other) noexcept {
  if (this != &other) {
    if (core_ != nullptr) core_->Release();
    if (reserve_fd_ >= 0) ::close(reserve_fd_);
    executor_ = other.executor_;
    core_ = std::exchange(other.core_, nullptr);
    local_ = other.local_;
    closed_ = other.closed_;
    reserve_fd_ = std::exchange(other.reserve_fd_, -1);
    counters_ = other.counters_;
  }
  return *this;
}

Listener::~Listener() {
  if (core_ != nullptr) core_->Release();
  if (reserve_fd_ >= 0) ::close(reserve_fd_);
}

void Listener::Close() {
  closed_ = true;
  if (core_ != nullptr) core_->Close();
  if (reserve_fd_ >= 0) ::close(std::exchange(reserve_fd_, -1));
}

bool Listener::RawAccept::Start(TaskContext* context, std::coroutine_handle<> handle) {
  if (context->executor != listener_->executor_) {
    op_.result = kWrongExecutor;
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

Task<absl::StatusOr<Listener::Accepted>> Listener::Accept() {
  if (core_ == nullptr || closed_) {
    co_return absl::FailedPreconditionError(
        absl::StrCat("accept on ", local_.ToString(), ": listener closed"));
  }
  int refusals_in_a_row = 0;
  int costly_in_a_row = 0;  // connections lost or shed since Accept() last let others run
  for (;;) {
    const int64_t result = co_await RawAccept(this);
    if (result >= 0) {
      std::optional<Accepted> accepted = Admit(static_cast<int>(result));
      if (accepted.has_value()) {
        ++counters_.accepted;
        ExecutorMetrics::Add(detail::ExecutorAccess::Metrics(*executor_).accepts, 1);
        if (reserve_fd_ < 0) reserve_fd_ = OpenReserve();  // lost to a shedding race earlier
        co_return std::move(*accepted);
      }
      refusals_in_a_row = 0;
      CountLost();  // the peer reset it before we could read its address
    } else {
      const int error = static_cast<int>(-result);
      if (result == kWrongExecutor) {
        co_return absl::FailedPreconditionError(absl::StrCat(
            "accept on ", local_.ToString(), ": listener belongs to another executor"));
      }
      if (error == ECANCELED)
        co_return absl::CancelledError(absl::StrCat(Describe(), " cancelled"));
      if (error == EBUSY) {
        co_return absl::FailedPreconditionError(
            absl::StrCat(Describe(), ": another accept is pending"));
      }
      switch (detail::ClassifyAcceptError(error)) {
        case detail::AcceptErrorKind::kRetry:
          continue;
        case detail::AcceptErrorKind::kConnectionLost:
          refusals_in_a_row = error == EPERM ? refusals_in_a_row + 1 : 0;
          if (refusals_in_a_row >= detail::kMaxRefusalsInARow) {
            co_return Failed(detail::ErrnoStatus(
                error, absl::StrCat(Describe(), " (", refusals_in_a_row,
                                    " times in a row: a policy refuses every accept)")));
          }
          CountLost();
          break;
        case detail::AcceptErrorKind::kOutOfDescriptors:
          refusals_in_a_row = 0;
          if (!Shed()) {
            co_return Failed(detail::ErrnoStatus(
                error, absl::StrCat(Describe(), ": no descriptor left to shed connections with")));
          }
          break;
        case detail::AcceptErrorKind::kListener:
          co_return Failed(detail::ErrnoStatus(error, Describe()));
      }
    }
    if (++costly_in_a_row == kYieldEvery) {
      costly_in_a_row = 0;
      co_await Yield();
    }
  }
}

std::optional<Listener::Accepted> Listener::Admit(int fd) {
  Socket socket(fd);
  absl::StatusOr<SocketAddress> peer = socket.PeerAddress();
  if (!peer.ok()) return std::nullopt;                     // ENOTCONN: reset while queued
  if (!socket.SetNoDelay(true).ok()) return std::nullopt;  // likewise gone
  Executor& ex = *executor_;
  detail::StreamCore* core = detail::ExecutorAccess::BackendOf(ex).NewStream(socket.Release());
  return Accepted{Stream(ex, core, *peer), *peer};
}

bool Listener::Shed() {
  if (reserve_fd_ < 0) reserve_fd_ = OpenReserve();
  if (reserve_fd_ < 0) return false;
  ::close(std::exchange(reserve_fd_, -1));
  ExecutorMetrics& metrics = detail::ExecutorAccess::Metrics(*executor_);
  int progress = 0;  // connections taken off the backlog, or 1 once it is empty
  for (int i = 0; i < kMaxShedAtOnce; ++i) {
    const int fd = ::accept4(core_->fd(), nullptr, nullptr, SOCK_CLOEXEC);
    ExecutorMetrics::Add(metrics.syscalls, 1);
    if (fd >= 0) {
      const linger reset{.l_onoff = 1, .l_linger = 0};  // RST: no TIME_WAIT left behind
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
      ::close(fd);
      ++counters_.shed;
      ExecutorMetrics::Add(metrics.accepts_shed, 1);
      ++progress;
      continue;
    }
    const int error = errno;
    if (error == EAGAIN || error == EWOULDBLOCK) {
      progress = std::max(progress, 1);
      break;
    }
    const detail::AcceptErrorKind kind = detail::ClassifyAcceptError(error);
    if (kind == detail::AcceptErrorKind::kRetry) continue;
    if (kind == detail::AcceptErrorKind::kConnectionLost && error != EPERM) {
      CountLost();
      ++progress;
      continue;
    }
    break;  // the slot was taken by another thread meanwhile, or the listener's own error
  }
  reserve_fd_ = OpenReserve();
  return progress > 0;
}

void Listener::CountLost() {
  ++counters_.connections_lost;
  ExecutorMetrics::Add(detail::ExecutorAccess::Metrics(*executor_).accept_connections_lost, 1);
}

absl::Status Listener::Failed(absl::Status status) {
  ++counters_.errors;
  ExecutorMetrics::Add(detail::ExecutorAccess::Metrics(*executor_).accept_errors, 1);
  return status;
}

std::string Listener::Describe() const {
  return absl::StrCat("accept fd ", fd(), " on ", local_.ToString());
}

}  // namespace uxcom::net
