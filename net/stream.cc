#include "net/stream.h"

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "net/detail/errno_status.h"
#include "net/resolver.h"
#include "net/timer.h"

namespace uxcom::net {

Stream::Stream(Executor& executor, detail::StreamCore* core, SocketAddress peer)
    : executor_(&executor), core_(core), peer_(std::move(peer)) {}

Stream::Stream(Stream&& other) noexcept
    : executor_(other.executor_),
      core_(std::exchange(other.core_, nullptr)),
      peer_(other.peer_),
      write_torn_(other.write_torn_) {}

Stream& Stream::operator=(Stream&& other) noexcept {
  if (this != &other) {
    if (core_ != nullptr) core_->Release();
    executor_ = other.executor_;
    core_ = std::exchange(other.core_, nullptr);
    peer_ = other.peer_;
    write_torn_ = other.write_torn_;
  }
  return *this;
}

Stream::~Stream() {
  if (core_ != nullptr) core_->Release();
}

std::string Stream::Describe() const {
  return absl::StrCat("fd ", fd(), " peer ", peer_.ToString());
}

absl::StatusOr<Stream> Stream::Adopt(Executor& executor, Socket socket, SocketAddress peer) {
  if (!socket.valid()) return absl::InvalidArgumentError("Stream::Adopt: invalid socket");
  if (absl::Status s = socket.SetNonBlocking(true); !s.ok()) return s;
  if (peer.family() == AF_UNSPEC) {
    if (absl::StatusOr<SocketAddress> p = socket.PeerAddress(); p.ok()) peer = *p;
  }
  detail::StreamCore* core = executor.backend_impl().NewStream(socket.Release());
  return Stream(executor, core, std::move(peer));
}

namespace {
struct ConnectAwaiter {
  detail::StreamCore* core;
  detail::ConnectOp op;
  bool await_ready() const noexcept { return false; }
  template <typename P>
  bool await_suspend(std::coroutine_handle<P> handle) {
    if (!op.Arm(handle.promise().context, handle)) {
      op.result = -ECANCELED;
      return false;
    }
    if (core->StartConnect(&op)) {
      op.cancel_hook.Unlink();
      return false;
    }
    return true;
  }
  void await_resume() const noexcept {}
};
}  // namespace

Task<absl::Status> Stream::DoConnect(SocketAddress address) {
  ConnectAwaiter awaiter{core_, {}};
  std::memcpy(&awaiter.op.address, address.data(), address.size());
  awaiter.op.address_length = address.size();
  co_await awaiter;
  int64_t r = awaiter.op.result;
  if (r == 0) co_return absl::OkStatus();
  std::string what = absl::StrCat("connect fd ", fd(), " to ", address.ToString());
  if (r == -ECANCELED) co_return absl::CancelledError(absl::StrCat(what, " cancelled"));
  co_return detail::ErrnoStatus(static_cast<int>(-r), what);
}

Task<absl::StatusOr<Stream>> Stream::Connect(Executor& executor, SocketAddress address,
                                             Duration timeout) {
  if (address.family() != AF_INET && address.family() != AF_INET6) {
    co_return absl::InvalidArgumentError("connect: address family must be IPv4 or IPv6");
  }
  absl::StatusOr<Socket> socket = Socket::CreateTcp(address.family());
  if (!socket.ok()) co_return socket.status();
  if (absl::Status s = socket->SetNoDelay(true); !s.ok()) co_return s;
  Stream stream(executor, executor.backend_impl().NewStream(socket->Release()), address);
  // Not `cond ? co_await a : co_await b`: GCC 12 destroys the awaited temporary twice there.
  absl::Status status;
  if (timeout > Duration{0}) {
    status = co_await WithTimeout(timeout, stream.DoConnect(address));
  } else {
    status = co_await stream.DoConnect(address);
  }
  if (!status.ok()) co_return status;
  co_return std::move(stream);
}

Task<absl::StatusOr<Stream>> Stream::Connect(Executor& executor, std::string host, uint16_t port,
                                             Duration timeout) {
  auto resolve_and_connect = [](Executor& ex, std::string h,
                                uint16_t p) -> Task<absl::StatusOr<Stream>> {
    absl::StatusOr<SocketAddress> address = co_await ResolveOne(h, p);
    if (!address.ok()) co_return address.status();
    co_return co_await Stream::Connect(ex, *address);
  };
  if (timeout > Duration{0}) {
    co_return co_await WithTimeout(timeout, resolve_and_connect(executor, std::move(host), port));
  }
  co_return co_await resolve_and_connect(executor, std::move(host), port);
}

absl::Status Stream::Unusable(const char* op, TaskContext* context) const {
  if (core_ == nullptr || core_->closed()) {
    return absl::FailedPreconditionError(absl::StrCat(op, " ", Describe(), ": stream closed"));
  }
  if (context->executor != executor_) {
    return absl::FailedPreconditionError(
        absl::StrCat(op, " ", Describe(), ": stream belongs to another executor"));
  }
  return absl::OkStatus();
}

absl::Status Stream::ReadError(int64_t result, const char* op) const {
  if (result == -EBUSY) {
    return absl::FailedPreconditionError(
        absl::StrCat(op, " ", Describe(), ": another read is already pending"));
  }
  if (result == -ECANCELED) {
    return absl::CancelledError(
        absl::StrCat(op, " ", Describe(),
                     core_ == nullptr || core_->closed() ? ": stream closed" : " cancelled"));
  }
  return detail::ErrnoStatus(static_cast<int>(-result), absl::StrCat(op, " ", Describe()));
}

// --- reads -----------------------------------------------------------------------------------

Stream::ReadAwaiter Stream::ReadSome(std::span<std::byte> dst) { return ReadAwaiter(this, dst); }

bool Stream::ReadAwaiter::Start(TaskContext* context, std::coroutine_handle<> handle) {
  error_ = stream_->Unusable("recv", context);
  if (!error_.ok()) return false;
  if (op_.mode == detail::ReadMode::kCopy && op_.dst.empty()) return false;  // result 0
  if (!op_.Arm(context, handle)) {
    op_.result = -ECANCELED;
    return false;
  }
  if (stream_->core_->StartRead(&op_)) {
    op_.cancel_hook.Unlink();
    return false;
  }
  return true;
}

absl::StatusOr<size_t> Stream::ReadAwaiter::await_resume() {
  if (!error_.ok()) return error_;
  if (op_.result >= 0) return static_cast<size_t>(op_.result);
  return stream_->ReadError(op_.result, "recv");
}

Task<absl::Status> Stream::ReadExactly(std::span<std::byte> dst) {
  size_t done = 0;
  while (done < dst.size()) {
    absl::StatusOr<size_t> n = co_await ReadSome(dst.subspan(done));
    if (!n.ok()) co_return n.status();
    if (*n == 0) {
      co_return absl::OutOfRangeError(absl::StrCat("recv ", Describe(),
                                                   ": connection closed by peer after ", done,
                                                   " of ", dst.size(), " bytes"));
    }
    done += *n;
  }
  co_return absl::OkStatus();
}

// --- writes ----------------------------------------------------------------------------------

Stream::WriteAwaiter Stream::Write(std::span<const std::byte> data) {
  std::span<const std::byte> one[1] = {data};
  return WriteAwaiter(this, one);
}
Stream::WriteAwaiter Stream::WriteV(std::span<const std::span<const std::byte>> buffers) {
  return WriteAwaiter(this, buffers);
}

Stream::WriteAwaiter::WriteAwaiter(Stream* stream,
                                   std::span<const std::span<const std::byte>> buffers)
    : stream_(stream) {
  if (buffers.size() > kMaxWriteBuffers) {
    error_ = absl::InvalidArgumentError(absl::StrCat(
        "send ", stream->Describe(), ": ", buffers.size(), " buffers, at most ", kMaxWriteBuffers));
    return;
  }
  iovec* iov = op_.inline_iov;
  if (buffers.size() > detail::WriteOp::kInlineBuffers) {
    heap_iov_.resize(buffers.size());
    iov = heap_iov_.data();
  }
  int count = 0;
  for (std::span<const std::byte> b : buffers) {
    if (b.empty()) continue;
    iov[count].iov_base = const_cast<std::byte*>(b.data());
    iov[count].iov_len = b.size();
    op_.total += b.size();
    ++count;
  }
  op_.iov = iov;
  op_.iov_count = count;
}

bool Stream::WriteAwaiter::Start(TaskContext* context, std::coroutine_handle<> handle) {
  if (!error_.ok()) return false;
  error_ = stream_->Unusable("send", context);
  if (!error_.ok()) return false;
  if (stream_->write_torn_) {
    error_ = absl::FailedPreconditionError(
        absl::StrCat("send ", stream_->Describe(),
                     ": write side unusable after a write was cancelled part-way"));
    return false;
  }
  if (op_.total == 0) return false;
  if (!op_.Arm(context, handle)) {
    op_.result = -ECANCELED;
    return false;
  }
  if (stream_->core_->StartWrite(&op_)) {
    op_.cancel_hook.Unlink();
    return false;
  }
  return true;
}

absl::Status Stream::WriteAwaiter::await_resume() {
  if (!error_.ok()) return error_;
  if (op_.result >= 0) return absl::OkStatus();
  if (op_.result == -ECANCELED) {
    if (op_.written > 0) {
      stream_->write_torn_ = true;
      return absl::CancelledError(absl::StrCat("send ", stream_->Describe(), " cancelled after ",
                                               op_.written, " of ", op_.total,
                                               " bytes; the stream's write side is now unusable"));
    }
    return absl::CancelledError(absl::StrCat(
        "send ", stream_->Describe(),
        stream_->core_ == nullptr || stream_->core_->closed() ? ": stream closed" : " cancelled"));
  }
  return detail::ErrnoStatus(static_cast<int>(-op_.result),
                             absl::StrCat("send ", stream_->Describe(), " (", op_.written, " of ",
                                          op_.total, " bytes sent)"));
}

// --- misc ------------------------------------------------------------------------------------

absl::Status Stream::ShutdownWrite() {
  if (!is_open()) return absl::FailedPreconditionError("shutdown: stream closed");
  if (::shutdown(fd(), SHUT_WR) != 0) {
    return detail::ErrnoStatus(errno, absl::StrCat("shutdown ", Describe()));
  }
  return absl::OkStatus();
}

void Stream::Close() {
  if (core_ != nullptr) core_->Close();
}

absl::StatusOr<Stream::QueuedBytes> Stream::Queued() const {
  if (!is_open()) return absl::FailedPreconditionError("queued bytes: stream closed");
  int unsent = 0;
  int unacknowledged = 0;
  int unread = 0;
  for (auto [request, out, name] : {std::tuple{SIOCOUTQNSD, &unsent, "SIOCOUTQNSD"},
                                    std::tuple{SIOCOUTQ, &unacknowledged, "SIOCOUTQ"},
                                    std::tuple{SIOCINQ, &unread, "SIOCINQ"}}) {
    if (::ioctl(fd(), request, out) != 0) {
      return detail::ErrnoStatus(errno == ENOTTY ? EINVAL : errno,
                                 absl::StrCat("ioctl(", name, ") ", Describe()));
    }
  }
  return QueuedBytes{.unsent = static_cast<size_t>(unsent),
                     .unacknowledged = static_cast<size_t>(unacknowledged),
                     .unread = static_cast<size_t>(unread) + core_->buffered()};
}

namespace {
template <typename Fn>
absl::Status WithSocket(int fd, Fn fn) {
  if (fd < 0) return absl::FailedPreconditionError("stream closed");
  Socket view(fd);
  absl::Status s = fn(view);
  view.Release();
  return s;
}
}  // namespace

absl::Status Stream::SetNoDelay(bool on) {
  return WithSocket(fd(), [&](Socket& s) { return s.SetNoDelay(on); });
}
absl::Status Stream::SetSendBufferSize(int bytes) {
  return WithSocket(fd(), [&](Socket& s) { return s.SetSendBufferSize(bytes); });
}
absl::Status Stream::SetReceiveBufferSize(int bytes) {
  return WithSocket(fd(), [&](Socket& s) { return s.SetReceiveBufferSize(bytes); });
}
absl::Status Stream::SetLinger(bool on, int seconds) {
  return WithSocket(fd(), [&](Socket& s) { return s.SetLinger(on, seconds); });
}

}  // namespace uxcom::net
