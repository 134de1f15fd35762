#include "net/stream.h"

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "net/detail/errno_status.h"
#include "net/detail/send_now.h"
#include "net/detail/tls_session.h"
#include "net/resolver.h"
#include "net/timer.h"
#include "net/tls_failure.h"

namespace uxcom::net {

Stream::Stream(Executor& executor, detail::StreamCore* core, SocketAddress peer)
    : executor_(&executor), core_(core), peer_(std::move(peer)) {}

Stream::Stream(Stream&& other) noexcept
    : executor_(other.executor_),
      core_(std::exchange(other.core_, nullptr)),
      peer_(other.peer_),
      write_torn_(other.write_torn_),
      tls_(std::move(other.tls_)) {}

Stream& Stream::operator=(Stream&& other) noexcept {
  if (this != &other) {
    if (core_ != nullptr) {
      SendCloseNotify();
      core_->Release();
    }
    executor_ = other.executor_;
    core_ = std::exchange(other.core_, nullptr);
    peer_ = other.peer_;
    write_torn_ = other.write_torn_;
    tls_ = std::move(other.tls_);
  }
  return *this;
}

Stream::~Stream() {
  if (core_ != nullptr) {
    SendCloseNotify();
    core_->Release();
  }
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
  detail::StreamCore* core =
      detail::ExecutorAccess::BackendOf(executor).NewStream(socket.Release());
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
  Stream stream(executor, detail::ExecutorAccess::BackendOf(executor).NewStream(socket->Release()),
                address);
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
  if (tls_wait_) return tls_wait_->await_resume();
  if (tls_result_) return *std::move(tls_result_);
  if (op_.result >= 0) return static_cast<size_t>(op_.result);
  return stream_->ReadError(op_.result, "recv");
}

Stream::ReadAwaiter Stream::RawReadSome(std::span<std::byte> dst) {
  return ReadAwaiter(this, dst, /*raw=*/true);
}

bool Stream::ReadAwaiter::StartTls(TaskContext* context) {
  error_ = stream_->Unusable("recv", context);
  if (!error_.ok()) return false;
  detail::TlsSession& t = *stream_->tls_;
  if (t.read_busy) {
    error_ = absl::FailedPreconditionError(
        absl::StrCat("recv ", stream_->Describe(), ": another read is already pending"));
    return false;
  }
  const bool to_plain = op_.mode == detail::ReadMode::kChunk;
  std::span<std::byte> dst = op_.dst;
  if (to_plain) {
    if (!t.plain().empty()) {
      tls_result_ = t.plain().size();
      return false;
    }
    dst = t.PlainSpace();
  } else {
    if (dst.empty()) {
      tls_result_ = size_t{0};
      return false;
    }
    if (std::span<const std::byte> p = t.plain(); !p.empty()) {  // left by a ReadChunk
      size_t n = std::min(p.size(), dst.size());
      std::memcpy(dst.data(), p.data(), n);
      t.ConsumePlain(n);
      tls_result_ = n;
      return false;
    }
  }
  // What the buffered ciphertext allows, without suspending; the socket only when needed.
  detail::TlsSession::ReadResult r = t.Read(dst);
  stream_->FlushTlsOutput();  // an answer the read produced: never waited for
  if (r.progress == detail::TlsSession::Progress::kDone) {
    if (to_plain) t.CommitPlain(r.n);
    tls_result_ = r.n;
    return false;
  }
  if (r.progress == detail::TlsSession::Progress::kFailed) {
    error_ = t.failure();
    return false;
  }
  tls_task_ = stream_->FinishTlsRead(dst, to_plain);
  tls_wait_.emplace(std::move(tls_task_).operator co_await());
  return true;
}

Task<absl::StatusOr<size_t>> Stream::FinishTlsRead(std::span<std::byte> dst, bool to_plain) {
  using Progress = detail::TlsSession::Progress;
  detail::TlsSession& t = *tls_;
  struct Busy {
    detail::TlsSession& t;
    explicit Busy(detail::TlsSession& s) : t(s) { t.read_busy = true; }
    ~Busy() { t.read_busy = false; }
  } busy(t);
  for (;;) {
    absl::StatusOr<size_t> got = co_await RawReadSome(t.InputSpace());
    if (!got.ok()) co_return got.status();
    if (*got == 0) {
      t.SetInputEof();
    } else {
      t.CommitInput(*got);
    }
    detail::TlsSession::ReadResult r = t.Read(dst);
    // A KeyUpdate to answer, an alert: sent without waiting, so that a read never waits for
    // the socket's write side (the peer may be blocked writing to us until we read on).
    FlushTlsOutput();
    if (r.progress == Progress::kDone) {
      if (to_plain) t.CommitPlain(r.n);
      co_return r.n;
    }
    if (r.progress == Progress::kFailed) co_return t.failure();
  }
}

size_t Stream::VisitPlain(absl::FunctionRef<size_t(std::span<const std::byte>)> visitor) {
  detail::TlsSession& t = *tls_;
  size_t used = std::min(visitor(t.plain()), t.plain().size());
  t.ConsumePlain(used);
  return used;
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

namespace {

// iovec arrays of writes with more buffers than a WriteOp holds inline, kept on this thread
// (each executor runs on one) for the next such write: a gathered write allocates nothing once
// warm. At most kKeptIovecArrays, each at most kMaxWriteBuffers long.
constexpr size_t kKeptIovecArrays = 16;
std::vector<std::vector<iovec>>& KeptIovecArrays() {
  thread_local std::vector<std::vector<iovec>> kept;
  return kept;
}

std::vector<iovec> TakeIovecs(size_t n) {
  std::vector<std::vector<iovec>>& kept = KeptIovecArrays();
  std::vector<iovec> iov;
  if (!kept.empty()) {
    iov = std::move(kept.back());
    kept.pop_back();
  }
  iov.resize(n);
  return iov;
}

}  // namespace

Stream::WriteAwaiter::~WriteAwaiter() {
  if (heap_iov_.capacity() == 0) return;
  std::vector<std::vector<iovec>>& kept = KeptIovecArrays();
  if (kept.size() < kKeptIovecArrays) {
    if (kept.capacity() == 0) kept.reserve(kKeptIovecArrays);
    kept.push_back(std::move(heap_iov_));
  }
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
    heap_iov_ = TakeIovecs(buffers.size());
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

Stream::WriteAwaiter::WriteAwaiter(Stream* stream, detail::CipherBuffer* ciphertext)
    : stream_(stream), raw_(true), cipher_(ciphertext) {
  op_.inline_iov[0].iov_base = ciphertext->bytes.data();
  op_.inline_iov[0].iov_len = ciphertext->bytes.size();
  op_.iov = op_.inline_iov;
  op_.iov_count = 1;
  op_.total = ciphertext->bytes.size();
}

Stream::WriteAwaiter Stream::RawWrite(detail::CipherBuffer* ciphertext) {
  return WriteAwaiter(this, ciphertext);
}

bool Stream::WriteAwaiter::Start(TaskContext* context, std::coroutine_handle<> handle) {
  if (!error_.ok()) return false;
  error_ = stream_->Unusable("send", context);
  if (!error_.ok()) return false;
  if (stream_->write_torn_) {
    error_ = absl::FailedPreconditionError(
        absl::StrCat("send ", stream_->Describe(),
                     ": write side unusable after a write was cancelled part-way or failed"));
    return false;
  }
  if (op_.total == 0) return false;
  if (!raw_ && stream_->tls_ != nullptr) {
    // Encrypted now, in call order; the records are then written like any write.
    absl::StatusOr<detail::CipherBuffer*> c =
        stream_->tls_->Encrypt({op_.iov, static_cast<size_t>(op_.iov_count)});
    if (!c.ok()) {
      error_ = c.status();
      stream_->write_torn_ = true;
      return false;
    }
    cipher_ = *c;
    op_.inline_iov[0].iov_base = cipher_->bytes.data();
    op_.inline_iov[0].iov_len = cipher_->bytes.size();
    op_.iov = op_.inline_iov;
    op_.iov_count = 1;
    op_.total = cipher_->bytes.size();
  }
  if (!op_.Arm(context, handle)) {
    op_.result = -ECANCELED;
    return false;
  }
  if (cipher_ != nullptr) {
    ++stream_->tls_->writes_in_flight;
    counted_ = true;
  }
  if (stream_->core_->StartWrite(&op_)) {
    op_.cancel_hook.Unlink();
    return false;
  }
  return true;
}

absl::Status Stream::WriteAwaiter::await_resume() {
  const bool tls = cipher_ != nullptr;
  if (tls) {
    detail::TlsSession& t = *stream_->tls_;
    if (counted_) --t.writes_in_flight;
    t.Recycle(std::exchange(cipher_, nullptr));
    // Records made and not (wholly) written: the TLS byte stream cannot continue.
    if (op_.result < 0 || !error_.ok()) stream_->write_torn_ = true;
    stream_->FlushTlsOutput();  // answers a read produced while this write was queued
  }
  if (!error_.ok()) return error_;
  if (op_.result >= 0) return absl::OkStatus();
  const char* unit = tls ? " bytes of TLS records" : " bytes";
  if (op_.result == -ECANCELED) {
    const bool closed = stream_->core_ == nullptr || stream_->core_->closed();
    if (op_.written > 0 || (tls && !closed)) {
      stream_->write_torn_ = true;
      return absl::CancelledError(absl::StrCat("send ", stream_->Describe(), " cancelled after ",
                                               op_.written, " of ", op_.total, unit,
                                               "; the stream's write side is now unusable"));
    }
    return absl::CancelledError(
        absl::StrCat("send ", stream_->Describe(), closed ? ": stream closed" : " cancelled"));
  }
  return detail::ErrnoStatus(static_cast<int>(-op_.result),
                             absl::StrCat("send ", stream_->Describe(), " (", op_.written, " of ",
                                          op_.total, unit, " sent)"));
}

// --- misc ------------------------------------------------------------------------------------

absl::Status Stream::ShutdownWrite() {
  if (!is_open()) return absl::FailedPreconditionError("shutdown: stream closed");
  SendCloseNotify();
  if (::shutdown(fd(), SHUT_WR) != 0) {
    return detail::ErrnoStatus(errno, absl::StrCat("shutdown ", Describe()));
  }
  return absl::OkStatus();
}

void Stream::Close() {
  if (core_ != nullptr) {
    SendCloseNotify();
    core_->Close();
  }
}

// --- TLS -------------------------------------------------------------------------------------

const TlsInfo* Stream::tls() const {
  return tls_ != nullptr && tls_->established() ? &tls_->info() : nullptr;
}

// close_notify, best effort and without waiting (as XCom's non-blocking SSL_shutdown): sent
// straight to the socket, which is only in order when no write is queued or in flight.
void Stream::SendCloseNotify() {
  if (tls_ == nullptr || core_ == nullptr || core_->closed() || write_torn_ ||
      tls_->writes_in_flight != 0 || !tls_->Shutdown()) {
    return;
  }
  FlushTlsOutput();
}

// Output OpenSSL produced outside a write goes straight to the socket, as far as it takes it
// now, when no write is queued or in flight (only then is it in order); the rest leads the next
// write's records, or goes when the last queued write finishes or the next read comes. RFC 8446
// 4.6.3 asks only that the answer to a KeyUpdate precede our next application data.
void Stream::FlushTlsOutput() {
  if (tls_ == nullptr || !tls_->has_output() || core_ == nullptr || core_->closed() ||
      write_torn_ || tls_->writes_in_flight != 0) {
    return;
  }
  std::span<const std::byte> out = tls_->output();
  detail::WriteOp op;
  op.inline_iov[0].iov_base = const_cast<std::byte*>(out.data());
  op.inline_iov[0].iov_len = out.size();
  op.iov_count = 1;
  op.total = out.size();
  // A failed send leaves the output in place: the connection's error reaches the next read or
  // write, which report it.
  (void)detail::SendNow(core_->fd(), &op, detail::ExecutorAccess::Metrics(*executor_));
  tls_->DropOutput(op.written);
}

absl::Status Stream::RequestKeyUpdate() {
  if (!is_open()) {
    return absl::FailedPreconditionError(
        absl::StrCat("TLS key update with ", peer_.ToString(), ": stream closed"));
  }
  if (tls_ == nullptr || !tls_->established()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "TLS key update with ", peer_.ToString(), ": the stream has no established TLS session"));
  }
  if (write_torn_) {
    return absl::FailedPreconditionError(
        absl::StrCat("TLS key update with ", peer_.ToString(),
                     ": write side unusable after a write was cancelled part-way or failed"));
  }
  absl::Status s = tls_->RequestKeyUpdate();
  if (!s.ok()) return s;
  FlushTlsOutput();
  return absl::OkStatus();
}

Task<absl::Status> Stream::StartTls(std::shared_ptr<TlsContext> context,
                                    TlsHandshakeOptions options) {
  if (!is_open()) {
    co_return absl::FailedPreconditionError(
        absl::StrCat("TLS handshake with ", peer_.ToString(), ": stream closed"));
  }
  if (tls_ != nullptr) {
    co_return absl::FailedPreconditionError(
        absl::StrCat("TLS handshake with ", peer_.ToString(), ": TLS already started"));
  }
  absl::StatusOr<std::unique_ptr<detail::TlsSession>> session =
      detail::TlsSession::Create(*context, options, peer_.ToString());
  if (!session.ok()) co_return session.status();
  tls_ = *std::move(session);
  absl::Status s;
  if (options.timeout > Duration{0}) {
    s = co_await WithTimeout(options.timeout, RunHandshake());
  } else {
    s = co_await RunHandshake();
  }
  if (absl::IsDeadlineExceeded(s) && !TlsFailureOf(s).has_value()) {
    s = WithTlsFailure(
        absl::DeadlineExceededError(absl::StrCat(
            "TLS handshake with ", peer_.ToString(), " failed: not complete after ",
            std::chrono::duration<double, std::milli>(options.timeout).count(), " ms")),
        TlsFailure::kTimeout);
  }
  if (!s.ok()) tls_->Abandon(s);
  co_return s;
}

Task<absl::Status> Stream::RunHandshake() {
  using Progress = detail::TlsSession::Progress;
  detail::TlsSession& t = *tls_;
  auto io_failure = [&](const absl::Status& s) {
    if (absl::IsCancelled(s)) return s;  // a timeout or the caller's cancellation
    return WithTlsFailure(absl::UnavailableError(absl::StrCat(
                              "TLS handshake with ", peer_.ToString(), " failed: ", s.message())),
                          TlsFailure::kIoError);
  };
  for (;;) {
    Progress p = t.Handshake();
    // Handshake messages, or the alert that explains a failure, go out first.
    if (detail::CipherBuffer* out = t.TakeOutput()) {
      absl::Status w = co_await RawWrite(out);
      if (!w.ok() && p != Progress::kFailed) co_return io_failure(w);
    }
    if (p == Progress::kDone) co_return absl::OkStatus();
    if (p == Progress::kFailed) co_return t.failure();
    absl::StatusOr<size_t> got = co_await RawReadSome(t.InputSpace());
    if (!got.ok()) co_return io_failure(got.status());
    if (*got == 0) {
      t.SetInputEof();
    } else {
      t.CommitInput(*got);
    }
  }
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
