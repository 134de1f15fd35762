#include "net/detail/epoll_backend.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>

#include "absl/strings/str_cat.h"
#include "net/detail/errno_status.h"
#include "net/detail/send_now.h"
#include "net/executor.h"
#include "net/metrics.h"

namespace uxcom::net::detail {
namespace {

constexpr size_t kChunkBufferSize = 64 * 1024;

class EpollBackend;

// What epoll_event.data.ptr points at.
class EpollHandler {
 public:
  virtual ~EpollHandler() = default;
  virtual void OnEvents(uint32_t events) = 0;
};

class EpollStream final : public StreamCore, public EpollHandler {
 public:
  EpollStream(EpollBackend* backend, int fd);
  bool StartRead(ReadOp* op) override;
  size_t VisitChunk(absl::FunctionRef<size_t(std::span<const std::byte>)> visitor) override;
  bool StartWrite(WriteOp* op) override;
  bool StartConnect(ConnectOp* op) override;
  void Cancel(IoOp* op) override;
  void Close() override;
  void Release() override;
  bool closed() const override { return closed_; }
  size_t buffered() const override { return chunk_tail_ - chunk_head_; }
  void OnEvents(uint32_t events) override;

 private:
  // Returns true when `op` is finished (result set), false on EAGAIN.
  bool TryRead(ReadOp* op);
  bool TryWrite(WriteOp* op);
  void Register();

  EpollBackend* backend_;
  bool registered_ = false;
  bool closed_ = false;
  std::unique_ptr<std::byte[]> chunk_;
  size_t chunk_head_ = 0;
  size_t chunk_tail_ = 0;
};

class EpollListener final : public ListenerCore, public EpollHandler {
 public:
  EpollListener(EpollBackend* backend, int fd);
  bool StartAccept(AcceptOp* op) override;
  void Close() override;
  void Release() override;
  void OnEvents(uint32_t events) override;

 private:
  bool TryAccept(AcceptOp* op);
  EpollBackend* backend_;
  bool closed_ = false;
};

class EpollBackend final : public Backend {
 public:
  EpollBackend(int epfd, int wake_fd, ExecutorMetrics* metrics)
      : epfd_(epfd), wake_fd_(wake_fd), metrics_(metrics) {}
  ~EpollBackend() override {
    ::close(wake_fd_);
    ::close(epfd_);
  }

  std::string Describe() const override {
    return absl::StrCat("epoll (edge-triggered", has_pwait2_ ? ", epoll_pwait2" : "", ")");
  }

  void Poll(std::chrono::nanoseconds timeout) override {
    epoll_event events[256];
    int n;
    if (has_pwait2_) {
      timespec ts{};
      if (timeout.count() >= 0) {
        ts.tv_sec = timeout.count() / 1000000000;
        ts.tv_nsec = timeout.count() % 1000000000;
      }
      n = epoll_pwait2(epfd_, events, 256, timeout.count() < 0 ? nullptr : &ts, nullptr);
      if (n < 0 && errno == ENOSYS) {
        has_pwait2_ = false;
        n = 0;
      }
    } else {
      // Round up so that a timer never fires early.
      int ms = timeout.count() < 0 ? -1 : static_cast<int>((timeout.count() + 999999) / 1000000);
      n = epoll_wait(epfd_, events, 256, ms);
    }
    ExecutorMetrics::Add(metrics_->enters, 1);
    if (n <= 0) return;
    ExecutorMetrics::Add(metrics_->completions, static_cast<uint64_t>(n));
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr == nullptr) {
        uint64_t value;
        while (::read(wake_fd_, &value, sizeof value) > 0) {
        }
        wake_pending_.store(false, std::memory_order_release);
        continue;
      }
      static_cast<EpollHandler*>(events[i].data.ptr)->OnEvents(events[i].events);
    }
  }

  void Wake() override {
    if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
    uint64_t one = 1;
    ssize_t rc = ::write(wake_fd_, &one, sizeof one);
    (void)rc;
  }

  StreamCore* NewStream(int fd) override { return new EpollStream(this, fd); }
  ListenerCore* NewListener(int fd) override { return new EpollListener(this, fd); }
  void AbortAll() override {}  // no operation is ever inside the kernel

  int epfd() const { return epfd_; }
  ExecutorMetrics* metrics() const { return metrics_; }
  void set_has_pwait2(bool v) { has_pwait2_ = v; }

 private:
  int epfd_;
  int wake_fd_;
  ExecutorMetrics* metrics_;
  bool has_pwait2_ = true;
  std::atomic<bool> wake_pending_{false};
};

// --- EpollStream -----------------------------------------------------------------------------

EpollStream::EpollStream(EpollBackend* backend, int fd) : backend_(backend) { fd_ = fd; }

void EpollStream::Register() {
  if (registered_) return;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = static_cast<EpollHandler*>(this);
  if (epoll_ctl(backend_->epfd(), EPOLL_CTL_ADD, fd_, &ev) == 0) registered_ = true;
}

bool EpollStream::TryRead(ReadOp* op) {
  std::byte* dst;
  size_t len;
  if (op->mode == ReadMode::kChunk) {
    if (chunk_head_ < chunk_tail_) {
      op->result = static_cast<int64_t>(chunk_tail_ - chunk_head_);
      return true;
    }
    if (chunk_ == nullptr) chunk_ = std::make_unique<std::byte[]>(kChunkBufferSize);
    chunk_head_ = chunk_tail_ = 0;
    dst = chunk_.get();
    len = kChunkBufferSize;
  } else {
    if (chunk_head_ < chunk_tail_) {  // bytes left over from an earlier chunk read
      size_t n = std::min(op->dst.size(), chunk_tail_ - chunk_head_);
      std::memcpy(op->dst.data(), chunk_.get() + chunk_head_, n);
      chunk_head_ += n;
      op->result = static_cast<int64_t>(n);
      return true;
    }
    dst = op->dst.data();
    len = op->dst.size();
  }
  ssize_t n = ::recv(fd_, dst, len, MSG_DONTWAIT);
  ExecutorMetrics::Add(backend_->metrics()->syscalls, 1);
  if (n >= 0) {
    ExecutorMetrics::Add(backend_->metrics()->bytes_received, static_cast<uint64_t>(n));
    if (op->mode == ReadMode::kChunk) chunk_tail_ = static_cast<size_t>(n);
    op->result = n;
    return true;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
  if (errno == EINTR) return TryRead(op);
  op->result = -errno;
  return true;
}

bool EpollStream::StartRead(ReadOp* op) {
  if (reader_ != nullptr) {
    op->result = -EBUSY;
    return true;
  }
  if (TryRead(op)) return true;
  Register();
  reader_ = op;
  op->target = this;
  op->pending = true;
  return false;
}

size_t EpollStream::VisitChunk(absl::FunctionRef<size_t(std::span<const std::byte>)> visitor) {
  size_t available = chunk_tail_ - chunk_head_;
  size_t used = std::min(available, visitor({chunk_.get() + chunk_head_, available}));
  chunk_head_ += used;
  return used;
}

bool EpollStream::TryWrite(WriteOp* op) { return SendNow(fd_, op, *backend_->metrics()); }

bool EpollStream::StartWrite(WriteOp* op) {
  if (writers_.empty() && TryWrite(op)) return true;
  Register();
  writers_.push_back(op);
  op->target = this;
  op->pending = true;
  return false;
}

bool EpollStream::StartConnect(ConnectOp* op) {
  int rc = ::connect(fd_, reinterpret_cast<const sockaddr*>(&op->address), op->address_length);
  if (rc == 0) {
    op->result = 0;
    return true;
  }
  if (errno != EINPROGRESS && errno != EINTR) {
    op->result = -errno;
    return true;
  }
  Register();
  connecting_ = op;
  op->target = this;
  op->pending = true;
  return false;
}

void EpollStream::OnEvents(uint32_t events) {
  if (connecting_ != nullptr && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    ConnectOp* op = std::exchange(connecting_, nullptr);
    op->Finish(-err);
  }
  if (reader_ != nullptr && (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP))) {
    if (TryRead(reader_)) {
      ReadOp* op = std::exchange(reader_, nullptr);
      op->Finish(op->result);
    }
  }
  if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
    while (WriteOp* op = writers_.front()) {
      if (!TryWrite(op)) break;
      static_cast<ListNode*>(op)->Unlink();
      op->Finish(op->result);
    }
  }
}

void EpollStream::Cancel(IoOp* op) {
  if (op == reader_) {
    reader_ = nullptr;
  } else if (op == connecting_) {
    connecting_ = nullptr;
  } else {
    auto* w = static_cast<WriteOp*>(op);
    static_cast<ListNode*>(w)->Unlink();
  }
  op->Finish(-ECANCELED);
}

void EpollStream::Close() {
  if (closed_) return;
  closed_ = true;
  if (reader_ != nullptr) std::exchange(reader_, nullptr)->Finish(-ECANCELED);
  if (connecting_ != nullptr) std::exchange(connecting_, nullptr)->Finish(-ECANCELED);
  while (WriteOp* op = writers_.pop_front()) op->Finish(-ECANCELED);
  if (registered_) epoll_ctl(backend_->epfd(), EPOLL_CTL_DEL, fd_, nullptr);
  ::close(fd_);
  fd_ = -1;
}

void EpollStream::Release() {
  Close();
  delete this;
}

// --- EpollListener ---------------------------------------------------------------------------

EpollListener::EpollListener(EpollBackend* backend, int fd) : backend_(backend) {
  fd_ = fd;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.ptr = static_cast<EpollHandler*>(this);
  epoll_ctl(backend_->epfd(), EPOLL_CTL_ADD, fd_, &ev);
}

bool EpollListener::TryAccept(AcceptOp* op) {
  for (;;) {
    int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    ExecutorMetrics::Add(backend_->metrics()->syscalls, 1);
    if (fd >= 0) {
      op->result = fd;
      return true;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
    op->result = -errno;  // the Listener tells one connection's errors from its own
    return true;
  }
}

bool EpollListener::StartAccept(AcceptOp* op) {
  if (acceptor_ != nullptr) {
    op->result = -EBUSY;
    return true;
  }
  if (TryAccept(op)) return true;
  acceptor_ = op;
  op->target = this;
  op->pending = true;
  return false;
}

void EpollListener::OnEvents(uint32_t) {
  if (acceptor_ != nullptr && TryAccept(acceptor_)) {
    AcceptOp* op = std::exchange(acceptor_, nullptr);
    op->Finish(op->result);
  }
}

void EpollListener::Close() {
  if (closed_) return;
  closed_ = true;
  if (acceptor_ != nullptr) std::exchange(acceptor_, nullptr)->Finish(-ECANCELED);
  epoll_ctl(backend_->epfd(), EPOLL_CTL_DEL, fd_, nullptr);
  ::close(fd_);
  fd_ = -1;
}

void EpollListener::Release() {
  Close();
  delete this;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Backend>> CreateEpollBackend(const ExecutorOptions&,
                                                            ExecutorMetrics* metrics) {
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return ErrnoStatus(errno, "epoll_create1");
  int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) {
    absl::Status s = ErrnoStatus(errno, "eventfd");
    ::close(epfd);
    return s;
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.ptr = nullptr;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, wake_fd, &ev) != 0) {
    absl::Status s = ErrnoStatus(errno, "epoll_ctl(eventfd)");
    ::close(wake_fd);
    ::close(epfd);
    return s;
  }
  auto backend = std::make_unique<EpollBackend>(epfd, wake_fd, metrics);
  // epoll_pwait2 (5.11) gives nanosecond timeouts; probe it once.
  epoll_event unused;
  timespec zero{};
  if (epoll_pwait2(epfd, &unused, 1, &zero, nullptr) < 0 && errno == ENOSYS) {
    backend->set_has_pwait2(false);
  }
  return std::unique_ptr<Backend>(std::move(backend));
}

}  // namespace uxcom::net::detail
