// The interface between net/'s awaitables and the two I/O backends (io_uring, epoll).
//
// Awaitables (stream.h, listener.h) own an operation struct in the awaiting coroutine's
// frame and hand it to a backend object: a StreamCore per connected socket, a ListenerCore
// per listening socket. Start*() either completes the operation synchronously (returns true)
// or takes it and later calls IoOp::Finish(), which schedules the awaiting coroutine. An
// operation is never finished twice, and is finished only once the kernel no longer uses its
// buffers, even when it was cancelled.
#ifndef UXCOM_NET_DETAIL_BACKEND_H_
#define UXCOM_NET_DETAIL_BACKEND_H_

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "absl/functional/function_ref.h"
#include "net/cancellation.h"
#include "net/detail/intrusive_list.h"
#include "net/task.h"

namespace uxcom::net {
class Executor;
enum class BackendKind;
struct ExecutorOptions;
}  // namespace uxcom::net

namespace uxcom::net::detail {

void ScheduleOn(Executor* executor, std::coroutine_handle<> handle);  // executor.cc

class IoObject;

// One asynchronous socket operation.
struct IoOp {
  IoOp() { cancel_hook.op = this; }
  ~IoOp();
  IoOp(const IoOp&) = delete;
  IoOp& operator=(const IoOp&) = delete;

  std::coroutine_handle<> waiter;
  Executor* executor = nullptr;
  IoObject* target = nullptr;
  int64_t result = 0;    // >= 0: bytes (0 = EOF for reads); < 0: -errno
  bool pending = false;  // taken by a backend, not yet finished
  bool cancel_requested = false;

  struct Hook : CancelRegistration {
    Hook();
    IoOp* op = nullptr;
  } cancel_hook;

  // Arms cancellation for the awaiting task; false if it is already cancelled.
  bool Arm(TaskContext* context, std::coroutine_handle<> handle) {
    executor = context->executor;
    waiter = handle;
    return context->cancel == nullptr || context->cancel->Register(&cancel_hook);
  }
  void Finish(int64_t res) {
    result = res;
    pending = false;
    cancel_hook.Unlink();
    ScheduleOn(executor, waiter);
  }
};

enum class ReadMode : uint8_t {
  kCopy,   // copy up to dst.size() bytes into dst
  kChunk,  // wait until received bytes are available for VisitChunk()
};

struct ReadOp : IoOp {
  std::span<std::byte> dst;
  ReadMode mode = ReadMode::kCopy;
};

// A write of one or more buffers. The backend advances iov/iov_count over short writes.
struct WriteOp : IoOp, ListNode {
  static constexpr int kInlineBuffers = 4;
  iovec inline_iov[kInlineBuffers];
  iovec* iov = inline_iov;
  int iov_count = 0;
  size_t total = 0;    // bytes requested
  size_t written = 0;  // bytes written so far
  void Advance(size_t n) {
    written += n;
    while (n > 0 && iov_count > 0) {
      if (n >= iov->iov_len) {
        n -= iov->iov_len;
        ++iov;
        --iov_count;
      } else {
        iov->iov_base = static_cast<char*>(iov->iov_base) + n;
        iov->iov_len -= n;
        n = 0;
      }
    }
    while (iov_count > 0 && iov->iov_len == 0) {
      ++iov;
      --iov_count;
    }
  }
};

struct ConnectOp : IoOp {
  sockaddr_storage address{};
  socklen_t address_length = 0;
};

struct AcceptOp : IoOp {};  // result: the accepted fd, or -errno

// Base of per-socket backend state; cancellation reaches operations through it.
class IoObject {
 public:
  virtual ~IoObject() = default;
  // Asks the backend to abort `op` (which is pending). The op still finishes later.
  virtual void Cancel(IoOp* op) = 0;
  // `op` is being destroyed while pending (executor shutdown, after AbortAll()): forget it.
  virtual void Detach(IoOp* op) = 0;
};

inline IoOp::Hook::Hook()
    : CancelRegistration([](CancelRegistration* reg) {
        IoOp* op = static_cast<Hook*>(reg)->op;
        op->cancel_requested = true;
        if (op->pending && op->target != nullptr) op->target->Cancel(op);
      }) {}

inline IoOp::~IoOp() {
  if (pending && target != nullptr) target->Detach(this);
}

// Both backends keep a stream's pending operations the same way (at most one read and one
// connect, writes queued in order) and forget them the same way; the rest is theirs.
class StreamCore : public IoObject {
 public:
  // `op` is being destroyed while pending (executor shutdown, after AbortAll()): forget it.
  void Detach(IoOp* op) final {
    if (op == reader_) {
      reader_ = nullptr;
    } else if (op == connecting_) {
      connecting_ = nullptr;
    } else {
      static_cast<ListNode*>(static_cast<WriteOp*>(op))->Unlink();
    }
    op->pending = false;
  }

  virtual bool StartRead(ReadOp* op) = 0;
  // Passes the first contiguous run of received bytes to `visitor`, which returns how many
  // it consumed. Only valid right after a kChunk read finished with result > 0.
  virtual size_t VisitChunk(absl::FunctionRef<size_t(std::span<const std::byte>)> visitor) = 0;
  virtual bool StartWrite(WriteOp* op) = 0;
  virtual bool StartConnect(ConnectOp* op) = 0;
  // Finishes pending operations with -ECANCELED and closes the fd once the kernel is done.
  virtual void Close() = 0;
  // The owning Stream is gone: Close() and free this object when the kernel is done.
  virtual void Release() = 0;
  virtual bool closed() const = 0;
  // Received bytes this object holds (taken from the socket) that no read has consumed yet.
  virtual size_t buffered() const = 0;
  int fd() const { return fd_; }

 protected:
  int fd_ = -1;
  ReadOp* reader_ = nullptr;
  ConnectOp* connecting_ = nullptr;
  IntrusiveList<WriteOp> writers_;  // the first may be in progress; the rest wait in order
};

// Both backends keep one pending accept and cancel or forget it the same way.
class ListenerCore : public IoObject {
 public:
  virtual bool StartAccept(AcceptOp* op) = 0;
  // A cancelled accept finishes at once; a connection accepted later waits for the next one.
  void Cancel(IoOp* op) final {
    if (op == acceptor_) acceptor_ = nullptr;
    op->Finish(-ECANCELED);
  }
  void Detach(IoOp* op) final {
    if (op == acceptor_) acceptor_ = nullptr;
    op->pending = false;
  }
  virtual void Close() = 0;
  virtual void Release() = 0;
  int fd() const { return fd_; }

 protected:
  int fd_ = -1;
  AcceptOp* acceptor_ = nullptr;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string Describe() const = 0;
  // Submits queued work, waits up to `timeout` for events (negative: no limit, zero: just
  // poll) and dispatches completions.
  virtual void Poll(std::chrono::nanoseconds timeout) = 0;
  // Thread-safe: makes a blocked Poll() return.
  virtual void Wake() = 0;
  // Takes ownership of a connected (or connecting) non-blocking socket.
  virtual StreamCore* NewStream(int fd) = 0;
  virtual ListenerCore* NewListener(int fd) = 0;
  // Shutdown: aborts every kernel operation still in flight and returns once the kernel has
  // completed all of them. Pending IoOps are left unfinished (their frames are destroyed
  // next); released objects are freed.
  virtual void AbortAll() = 0;
};

}  // namespace uxcom::net::detail

#endif  // UXCOM_NET_DETAIL_BACKEND_H_
